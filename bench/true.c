/*
 * bench-true: the tiny static program that the vfork+exec benchmark runs
 * (/bin/bench-true in the bench image).  It exits with status 0.
 */
int main(void)
{
	return 0;
}
