/*
 * fault: writes through a NULL pointer.  A user-mode page fault must kill
 * only the faulting process with SIGSEGV.  Run as init, Linux then panics
 * with "Attempted to kill init! exitcode=0x0000000b" (kernel/exit.c,
 * do_exit -> panic for the global init; 0xb = SIGSEGV).
 */
#include <unistd.h>

int main(void)
{
	static const char msg[] = "fault: writing through a NULL pointer\n";
	write(1, msg, sizeof msg - 1);
	int *p = 0;
	/* Hide the NULL from the optimizer, which would emit ud2 (SIGILL). */
	__asm__ volatile("" : "+r"(p));
	*(volatile int *)p = 1;
	static const char bad[] = "fault: still alive after the fault\n";
	write(1, bad, sizeof bad - 1);
	return 1;
}
