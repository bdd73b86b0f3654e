/*
 * Suite mempressure, last: after every stage the system still works.  A child forks and execs
 * /bin/child-helper, and a process touches a third of RAM and gives it back.
 */
#include "stage.h"

#include <sys/mman.h>

static void afterwards_stage(void *arg)
{
	(void)arg;
	mp_expect_fork_exec();
	size_t bytes = mp_ram() / 3;
	pid_t pid = h_fork();
	if (pid == 0) {
		unsigned long *region = mp_map_touched(bytes, 9);
		for (size_t page = 0; page < bytes / MP_PAGE; page++)
			if (region[page * (MP_PAGE / sizeof *region)] != 9 + page)
				h_exit(1);
		h_exit(0);
	}
	EXPECT_EQ(h_wait_exit(pid), 0);
}

TEST_ALONE(mempressure, system_still_forks_and_execs)
{
	h_set_timeout(MP_STAGE_TIMEOUT);
	EXPECT_CHILD_OK(afterwards_stage, NULL);
}
