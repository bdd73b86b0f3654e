/*
 * libferrux-dltest.so: the shared library the dynamic-linking tests dlopen
 * (/lib/libferrux-dltest.so in the guest).  ferrux_dltest(x) returns 2x + 1
 * once the library's constructor has run (-1 before), and counts its calls
 * in writable data (copy-on-write pages of the mapped file).
 */
static int initialized;
static int calls;

__attribute__((constructor)) static void init(void)
{
	initialized = 1;
}

int ferrux_dltest(int x)
{
	calls++;
	return initialized ? 2 * x + calls : -1;
}
