/*
 * Suite keys: the key retention service (add_key, request_key, keyctl).
 *
 * Guards Linux 6.1's security/keys: add_key's argument order (payload size,
 * type name, description, payload, keyring, type, payload rules), the user,
 * logon and keyring types (payload limits, logon's "prefix:" descriptions and
 * no read, keyrings without update), updating a key of the same description,
 * the special keyrings (thread and process keyrings made on demand and not
 * inherited by fork, the session keyring inherited, user and user-session
 * keyrings, JOIN_SESSION_KEYRING anonymous and named), KEYCTL_READ (full
 * length, partial copies, keyrings as serials, ENOKEY for a bad id),
 * DESCRIBE, UPDATE, REVOKE, SETPERM (no root override), CHOWN, LINK/UNLINK
 * (EDEADLK for cycles), CLEAR, SEARCH, SET_TIMEOUT and expiry, INVALIDATE,
 * SET_REQKEY_KEYRING, request_key (found keys, ENOKEY without call-out
 * information, and with it, with no /sbin/request-key, ENOENT and a negative
 * key that answers ENOKEY), the instantiation calls without authority, the
 * quotas of kernel.keys.*, and /proc/keys and /proc/key-users lines.  Each
 * test runs in a child with a session keyring of its own.
 */
#include "harness.h"
#include "child.h"

#include <stdint.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define THREAD -1
#define PROCESS -2
#define SESSION -3
#define USER -4
#define USER_SESSION -5
#define GROUP -6
#define REQKEY_AUTH -7

#define GET_KEYRING_ID 0
#define JOIN 1
#define UPDATE 2
#define REVOKE 3
#define CHOWN 4
#define SETPERM 5
#define DESCRIBE 6
#define CLEAR 7
#define LINK 8
#define UNLINK 9
#define SEARCH 10
#define READ 11
#define INSTANTIATE 12
#define NEGATE 13
#define SET_REQKEY 14
#define SET_TIMEOUT 15
#define ASSUME_AUTHORITY 16
#define REJECT 19
#define INVALIDATE 21

static long add_key(const char *type, const char *desc, const void *payload, size_t plen, int ring)
{
	return syscall(SYS_add_key, type, desc, payload, plen, ring);
}

static long request_key(const char *type, const char *desc, const char *info, int ring)
{
	return syscall(SYS_request_key, type, desc, info, ring);
}

static long keyctl(int cmd, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5)
{
	return syscall(SYS_keyctl, cmd, a2, a3, a4, a5);
}

static void describe(long id, char *buf, size_t size)
{
	long n = keyctl(DESCRIBE, id, (unsigned long)buf, size, 0);
	if (n < 0)
		FAIL("DESCRIBE(%ld): %s", id, h_errname(errno));
}

static void need_proc(void)
{
	if (access("/proc/sys", F_OK) != 0) {
		mkdir("/proc", 0555);
		EXPECT_OK(mount("proc", "/proc", "proc", 0, NULL));
	}
}

/* Runs fn in a child with a new anonymous session keyring. */
static void in_child(void (*fn)(void))
{
	pid_t pid = h_fork();
	if (pid == 0) {
		if (keyctl(JOIN, 0, 0, 0, 0) < 0)
			FAIL("JOIN_SESSION_KEYRING: %s", h_errname(errno));
		fn();
		_exit(0);
	}
	EXPECT_EQ(h_wait_exit(pid), 0);
}

static void add_key_errors(void)
{
	char big[40];
	memset(big, 'a', sizeof(big));
	big[32] = 0;
	EXPECT_ERRNO(add_key("user", "d", "x", 1024 * 1024, SESSION), EINVAL);
	EXPECT_ERRNO(add_key(NULL, "d", "x", 1, SESSION), EFAULT);
	EXPECT_ERRNO(add_key("", "d", "x", 1, SESSION), EINVAL);
	EXPECT_ERRNO(add_key(big, "d", "x", 1, SESSION), EINVAL);
	big[31] = 0;
	EXPECT_ERRNO(add_key(big, "d", "x", 1, SESSION), ENODEV);
	EXPECT_ERRNO(add_key(".user", "d", "x", 1, SESSION), EPERM);
	EXPECT_ERRNO(add_key("user", H_BAD_PTR, "x", 1, SESSION), EFAULT);
	EXPECT_ERRNO(add_key("keyring", ".dot", NULL, 0, SESSION), EPERM);
	/* The payload is copied before the keyring or the type is looked at. */
	EXPECT_ERRNO(add_key("nosuchtype", "d", NULL, 4, SESSION), EFAULT);
	EXPECT_ERRNO(add_key("nosuchtype", "d", "x", 1, 0), EINVAL);
	EXPECT_ERRNO(add_key("nosuchtype", "d", "x", 1, SESSION), ENODEV);
	EXPECT_ERRNO(add_key("user", "d", "x", 1, 0), EINVAL);
	EXPECT_ERRNO(add_key("user", "d", "x", 1, GROUP), EINVAL);
	EXPECT_ERRNO(add_key("user", "d", "x", 1, 1), ENOKEY);
	/* Type rules. */
	EXPECT_ERRNO(add_key("user", "d", "x", 0, SESSION), EINVAL);
	static char payload[32768];
	EXPECT_ERRNO(add_key("user", "d", payload, 32768, SESSION), EINVAL);
	EXPECT_GT(add_key("user", "d", payload, 32767, SESSION), 0);
	EXPECT_ERRNO(add_key("logon", "nocolon", "x", 1, SESSION), EINVAL);
	EXPECT_ERRNO(add_key("logon", ":x", "x", 1, SESSION), EINVAL);
	EXPECT_GT(add_key("logon", "a:b", "x", 1, SESSION), 0);
	EXPECT_ERRNO(add_key("keyring", "r", "x", 1, SESSION), EINVAL);
	EXPECT_ERRNO(add_key("user", NULL, "x", 1, SESSION), EINVAL);
	EXPECT_ERRNO(add_key("user", "", "x", 1, SESSION), EINVAL);
	long key = add_key("user", "k", "x", 1, SESSION);
	EXPECT_GT(key, 0);
	/* A user key is not a keyring. */
	EXPECT_ERRNO(add_key("user", "d2", "x", 1, key), ENOTDIR);
}

TEST(keys, add_key_errors)
{
	in_child(add_key_errors);
}

static void read_update_describe(void)
{
	char buf[256];
	long id = add_key("user", "k1", "abc", 3, SESSION);
	EXPECT_GT(id, 0);
	EXPECT_EQ(keyctl(READ, id, 0, 0, 0), 3);
	memset(buf, 'z', sizeof(buf));
	/* Too small a buffer: the length, and nothing copied. */
	EXPECT_EQ(keyctl(READ, id, (unsigned long)buf, 2, 0), 3);
	EXPECT_MEMEQ(buf, "zzz", 3);
	EXPECT_EQ(keyctl(READ, id, (unsigned long)buf, sizeof(buf), 0), 3);
	EXPECT_MEMEQ(buf, "abc", 3);
	EXPECT_ERRNO(keyctl(READ, id, (unsigned long)H_BAD_PTR, 8, 0), EFAULT);
	/* The same type and description in the same keyring: updated in place. */
	EXPECT_EQ(add_key("user", "k1", "defg", 4, SESSION), id);
	EXPECT_EQ(keyctl(READ, id, (unsigned long)buf, sizeof(buf), 0), 4);
	EXPECT_MEMEQ(buf, "defg", 4);
	EXPECT_OK(keyctl(UPDATE, id, (unsigned long)"xy", 2, 0));
	EXPECT_EQ(keyctl(READ, id, (unsigned long)buf, sizeof(buf), 0), 2);
	EXPECT_ERRNO(keyctl(UPDATE, id, (unsigned long)"xy", 0, 0), EINVAL);
	EXPECT_ERRNO(keyctl(UPDATE, id, 0, 2, 0), EFAULT);
	describe(id, buf, sizeof(buf));
	EXPECT_STREQ(buf, "user;0;0;3f010000;k1");
	/* Too small a buffer: the length, nothing copied. */
	memset(buf, 'z', sizeof(buf));
	EXPECT_EQ(keyctl(DESCRIBE, id, (unsigned long)buf, 4, 0), 21);
	EXPECT_EQ(buf[0], 'z');
	/* Keyrings: no update; read gives the serials. */
	long ring = add_key("keyring", "r1", NULL, 0, SESSION);
	EXPECT_GT(ring, 0);
	describe(ring, buf, sizeof(buf));
	EXPECT_STREQ(buf, "keyring;0;0;3f010000;r1");
	EXPECT_ERRNO(keyctl(UPDATE, ring, (unsigned long)"x", 1, 0), EOPNOTSUPP);
	EXPECT_EQ(keyctl(READ, ring, 0, 0, 0), 0);
	long a = add_key("user", "a", "1", 1, ring);
	long b = add_key("user", "b", "2", 1, ring);
	int32_t ids[4] = {0, 0, 0, 0};
	EXPECT_EQ(keyctl(READ, ring, (unsigned long)ids, 4, 0), 8);
	EXPECT_EQ(ids[1], 0);
	EXPECT_EQ(keyctl(READ, ring, (unsigned long)ids, sizeof(ids), 0), 8);
	EXPECT_EQ(ids[0], a);
	EXPECT_EQ(ids[1], b);
	/* A second keyring of the same name replaces the first link. */
	long ring2 = add_key("keyring", "r1", NULL, 0, SESSION);
	EXPECT_NE(ring2, ring);
	/* Logon keys cannot be read. */
	long logon = add_key("logon", "x:y", "secret", 6, SESSION);
	EXPECT_ERRNO(keyctl(READ, logon, (unsigned long)buf, sizeof(buf), 0), EOPNOTSUPP);
	describe(logon, buf, sizeof(buf));
	EXPECT_STREQ(buf, "logon;0;0;3d010000;x:y");
	/* Unknown ids read as ENOKEY; other commands too. */
	EXPECT_ERRNO(keyctl(READ, 1, (unsigned long)buf, 8, 0), ENOKEY);
	EXPECT_ERRNO(keyctl(REVOKE, 1, 0, 0, 0), ENOKEY);
	EXPECT_ERRNO(keyctl(DESCRIBE, 0, (unsigned long)buf, 8, 0), EINVAL);
	EXPECT_ERRNO(keyctl(99, 0, 0, 0, 0), EOPNOTSUPP);
}

TEST(keys, read_update_describe)
{
	in_child(read_update_describe);
}

static void special_keyrings(void)
{
	char buf[256];
	EXPECT_ERRNO(keyctl(GET_KEYRING_ID, THREAD, 0, 0, 0), ENOKEY);
	EXPECT_ERRNO(keyctl(GET_KEYRING_ID, PROCESS, 0, 0, 0), ENOKEY);
	long thread = keyctl(GET_KEYRING_ID, THREAD, 1, 0, 0);
	EXPECT_GT(thread, 0);
	EXPECT_EQ(keyctl(GET_KEYRING_ID, THREAD, 0, 0, 0), thread);
	long process = keyctl(GET_KEYRING_ID, PROCESS, 1, 0, 0);
	EXPECT_GT(process, 0);
	long session = keyctl(GET_KEYRING_ID, SESSION, 0, 0, 0);
	EXPECT_GT(session, 0);
	describe(thread, buf, sizeof(buf));
	EXPECT_STREQ(buf, "keyring;0;0;3f010000;_tid");
	describe(process, buf, sizeof(buf));
	EXPECT_STREQ(buf, "keyring;0;0;3f010000;_pid");
	describe(session, buf, sizeof(buf));
	EXPECT_STREQ(buf, "keyring;0;0;3f030000;_ses");
	long user = keyctl(GET_KEYRING_ID, USER, 0, 0, 0);
	describe(user, buf, sizeof(buf));
	EXPECT_STREQ(buf, "keyring;0;65534;1f3f0000;_uid.0");
	long user_session = keyctl(GET_KEYRING_ID, USER_SESSION, 0, 0, 0);
	describe(user_session, buf, sizeof(buf));
	EXPECT_STREQ(buf, "keyring;0;65534;1f3f0000;_uid_ses.0");
	/* The user-session keyring links the user keyring. */
	int32_t ids[4] = {0};
	EXPECT_EQ(keyctl(READ, user_session, (unsigned long)ids, sizeof(ids), 0), 4);
	EXPECT_EQ(ids[0], user);
	EXPECT_ERRNO(keyctl(GET_KEYRING_ID, GROUP, 1, 0, 0), EINVAL);
	EXPECT_ERRNO(keyctl(GET_KEYRING_ID, REQKEY_AUTH, 1, 0, 0), ENOKEY);
	EXPECT_ERRNO(keyctl(GET_KEYRING_ID, -100, 1, 0, 0), EINVAL);
	/* A forked child keeps the session keyring only. */
	pid_t pid = h_fork();
	if (pid == 0) {
		EXPECT_ERRNO(keyctl(GET_KEYRING_ID, THREAD, 0, 0, 0), ENOKEY);
		EXPECT_ERRNO(keyctl(GET_KEYRING_ID, PROCESS, 0, 0, 0), ENOKEY);
		EXPECT_EQ(keyctl(GET_KEYRING_ID, SESSION, 0, 0, 0), session);
		EXPECT_EQ(keyctl(GET_KEYRING_ID, USER, 0, 0, 0), user);
		_exit(0);
	}
	EXPECT_EQ(h_wait_exit(pid), 0);
	/* Joining: anonymous sessions are new each time; named ones are found again. */
	long s1 = keyctl(JOIN, 0, 0, 0, 0);
	EXPECT_GT(s1, 0);
	EXPECT_NE(s1, session);
	EXPECT_EQ(keyctl(GET_KEYRING_ID, SESSION, 0, 0, 0), s1);
	long named = keyctl(JOIN, (unsigned long)"ferrux-named", 0, 0, 0);
	EXPECT_GT(named, 0);
	describe(named, buf, sizeof(buf));
	EXPECT_STREQ(buf, "keyring;0;0;3f130000;ferrux-named");
	EXPECT_OK(keyctl(LINK, named, PROCESS, 0, 0));
	EXPECT_GT(keyctl(JOIN, 0, 0, 0, 0), 0);
	/* Found by name only if its owner byte grants search (it does not by default). */
	long other = keyctl(JOIN, (unsigned long)"ferrux-named", 0, 0, 0);
	EXPECT_GT(other, 0);
	EXPECT_NE(other, named);
	EXPECT_OK(keyctl(SETPERM, named, 0x3f1b0000, 0, 0));
	EXPECT_EQ(keyctl(JOIN, (unsigned long)"ferrux-named", 0, 0, 0), named);
	EXPECT_ERRNO(keyctl(JOIN, (unsigned long)".builtin_trusted_keys", 0, 0, 0), EPERM);
	EXPECT_ERRNO(keyctl(JOIN, (unsigned long)H_BAD_PTR, 0, 0, 0), EFAULT);
}

TEST(keys, special_keyrings)
{
	in_child(special_keyrings);
}

static void permissions_and_revoke(void)
{
	char buf[64];
	long id = add_key("user", "p", "abc", 3, SESSION);
	EXPECT_ERRNO(keyctl(SETPERM, id, 0x40000000, 0, 0), EINVAL);
	EXPECT_OK(keyctl(SETPERM, id, 0, 0, 0));
	/* No root override: with no permission bits even root cannot read, describe or
	 * change the permissions. */
	EXPECT_ERRNO(keyctl(READ, id, (unsigned long)buf, sizeof(buf), 0), EACCES);
	EXPECT_ERRNO(keyctl(DESCRIBE, id, (unsigned long)buf, sizeof(buf), 0), EACCES);
	EXPECT_ERRNO(keyctl(SETPERM, id, 0x3f010000, 0, 0), EACCES);
	/* Unlinking needs nothing of the key. */
	EXPECT_OK(keyctl(UNLINK, id, SESSION, 0, 0));
	EXPECT_EQ(keyctl(READ, SESSION, 0, 0, 0), 0);
	/* Revoked: reads, descriptions and the id itself are EKEYREVOKED. */
	long r = add_key("user", "r", "abc", 3, SESSION);
	EXPECT_OK(keyctl(REVOKE, r, 0, 0, 0));
	EXPECT_ERRNO(keyctl(READ, r, (unsigned long)buf, sizeof(buf), 0), EKEYREVOKED);
	EXPECT_ERRNO(keyctl(DESCRIBE, r, (unsigned long)buf, sizeof(buf), 0), EKEYREVOKED);
	EXPECT_ERRNO(keyctl(REVOKE, r, 0, 0, 0), EKEYREVOKED);
	EXPECT_ERRNO(keyctl(GET_KEYRING_ID, r, 0, 0, 0), EKEYREVOKED);
	/* add_key of the same description does not update a revoked key: a new one. */
	long r2 = add_key("user", "r", "abc", 3, SESSION);
	EXPECT_GT(r2, 0);
	EXPECT_NE(r2, r);
	/* A revoked keyring takes no more keys. */
	long ring = add_key("keyring", "dead", NULL, 0, SESSION);
	EXPECT_OK(keyctl(REVOKE, ring, 0, 0, 0));
	EXPECT_ERRNO(add_key("user", "x", "1", 1, ring), EKEYREVOKED);
	EXPECT_ERRNO(request_key("keyring", "dead", NULL, ring), EKEYREVOKED);
	/* Invalidated: gone. */
	long inv = add_key("user", "inv", "abc", 3, SESSION);
	EXPECT_OK(keyctl(INVALIDATE, inv, 0, 0, 0));
	EXPECT_ERRNO(keyctl(READ, inv, (unsigned long)buf, sizeof(buf), 0), ENOKEY);
	EXPECT_ERRNO(keyctl(DESCRIBE, inv, (unsigned long)buf, sizeof(buf), 0), ENOKEY);
	/* Chown and setperm as another user. */
	long mine = add_key("user", "mine", "abc", 3, SESSION);
	EXPECT_OK(keyctl(SETPERM, mine, 0x3f3f0000, 0, 0));
	EXPECT_OK(keyctl(CHOWN, mine, 1000, -1, 0));
	describe(mine, buf, sizeof(buf));
	EXPECT_STREQ(buf, "user;1000;0;3f3f0000;mine");
	pid_t pid = h_fork();
	if (pid == 0) {
		EXPECT_OK(setgid(1000));
		EXPECT_OK(setuid(1000));
		/* The owner may change the permissions, not give the key away. */
		EXPECT_OK(keyctl(SETPERM, mine, 0x3f3f0000, 0, 0));
		EXPECT_ERRNO(keyctl(CHOWN, mine, 0, -1, 0), EACCES);
		EXPECT_ERRNO(keyctl(CHOWN, mine, -1, 5, 0), EACCES);
		EXPECT_OK(keyctl(CHOWN, mine, 1000, -1, 0));
		_exit(0);
	}
	EXPECT_EQ(h_wait_exit(pid), 0);
}

TEST(keys, permissions_and_revoke)
{
	in_child(permissions_and_revoke);
}

static void link_search_clear(void)
{
	long ring = add_key("keyring", "outer", NULL, 0, SESSION);
	long inner = add_key("keyring", "inner", NULL, 0, ring);
	long x = add_key("user", "x", "1", 1, inner);
	EXPECT_EQ(keyctl(SEARCH, SESSION, (unsigned long)"user", (unsigned long)"x", 0), x);
	EXPECT_EQ(keyctl(SEARCH, ring, (unsigned long)"user", (unsigned long)"x", 0), x);
	EXPECT_ERRNO(keyctl(SEARCH, ring, (unsigned long)"user", (unsigned long)"nope", 0), ENOKEY);
	EXPECT_ERRNO(keyctl(SEARCH, ring, (unsigned long)"nosuchtype", (unsigned long)"x", 0), ENOKEY);
	EXPECT_ERRNO(keyctl(SEARCH, x, (unsigned long)"user", (unsigned long)"x", 0), ENOTDIR);
	/* Found and linked into a destination. */
	EXPECT_EQ(keyctl(SEARCH, ring, (unsigned long)"user", (unsigned long)"x", PROCESS), x);
	EXPECT_EQ(keyctl(SEARCH, PROCESS, (unsigned long)"user", (unsigned long)"x", 0), x);
	/* Cycles and non-keyrings. */
	EXPECT_ERRNO(keyctl(LINK, ring, ring, 0, 0), EDEADLK);
	EXPECT_ERRNO(keyctl(LINK, ring, inner, 0, 0), EDEADLK);
	EXPECT_ERRNO(keyctl(LINK, ring, x, 0, 0), ENOTDIR);
	EXPECT_OK(keyctl(LINK, x, ring, 0, 0));
	EXPECT_OK(keyctl(UNLINK, x, ring, 0, 0));
	EXPECT_ERRNO(keyctl(UNLINK, x, ring, 0, 0), ENOENT);
	EXPECT_ERRNO(keyctl(UNLINK, x, x, 0, 0), ENOTDIR);
	/* Clear. */
	EXPECT_OK(keyctl(CLEAR, inner, 0, 0, 0));
	EXPECT_EQ(keyctl(READ, inner, 0, 0, 0), 0);
	EXPECT_ERRNO(keyctl(CLEAR, x, 0, 0, 0), ENOTDIR);
	/* x is still linked from the process keyring. */
	EXPECT_EQ(keyctl(SEARCH, PROCESS, (unsigned long)"user", (unsigned long)"x", 0), x);
	/* Expiry. */
	long t = add_key("user", "t", "1", 1, SESSION);
	EXPECT_OK(keyctl(SET_TIMEOUT, t, 1, 0, 0));
	usleep(2100 * 1000);
	char buf[8];
	EXPECT_ERRNO(keyctl(READ, t, (unsigned long)buf, sizeof(buf), 0), EKEYEXPIRED);
	EXPECT_ERRNO(keyctl(SEARCH, SESSION, (unsigned long)"user", (unsigned long)"t", 0), EKEYEXPIRED);
	/* request_key skips expired keys. */
	EXPECT_ERRNO(request_key("user", "t", NULL, 0), ENOKEY);
}

TEST(keys, link_search_clear)
{
	h_set_timeout(30);
	in_child(link_search_clear);
}

static void request_keys(void)
{
	char buf[64];
	long ring = add_key("keyring", "wanted", NULL, 0, SESSION);
	EXPECT_EQ(request_key("keyring", "wanted", NULL, 0), ring);
	EXPECT_ERRNO(request_key("keyring", "missing", NULL, 0), ENOKEY);
	EXPECT_ERRNO(request_key("user", "missing", NULL, 0), ENOKEY);
	EXPECT_ERRNO(request_key(".user", "x", NULL, 0), EPERM);
	EXPECT_ERRNO(request_key(H_BAD_PTR, "x", NULL, 0), EFAULT);
	EXPECT_ERRNO(request_key("user", H_BAD_PTR, NULL, 0), EFAULT);
	EXPECT_ERRNO(request_key("user", "x", H_BAD_PTR, 0), EFAULT);
	EXPECT_ERRNO(request_key("nosuchtype", "x", "info", 0), ENOKEY);
	/* Keyrings are never constructed. */
	EXPECT_ERRNO(request_key("keyring", "missing", "info", 0), EPERM);
	/* With call-out information and no /sbin/request-key: ENOENT, and a negative key is
	 * left in the destination. */
	EXPECT_ERRNO(request_key("user", "made", "info", PROCESS), ENOENT);
	int32_t neg = 0;
	EXPECT_EQ(keyctl(READ, PROCESS, (unsigned long)&neg, sizeof(neg), 0), 4);
	EXPECT_GT(neg, 0);
	EXPECT_ERRNO(keyctl(READ, neg, (unsigned long)buf, sizeof(buf), 0), ENOKEY);
	describe(neg, buf, sizeof(buf));
	EXPECT_STREQ(buf, "user;0;0;3f010000;made");
	EXPECT_ERRNO(request_key("user", "made", "info", 0), ENOKEY);
	EXPECT_ERRNO(request_key("user", "made", NULL, 0), ENOKEY);
	/* add_key over a negative key instantiates it. */
	EXPECT_EQ(add_key("user", "made", "ok", 2, PROCESS), neg);
	EXPECT_EQ(keyctl(READ, neg, (unsigned long)buf, sizeof(buf), 0), 2);
	EXPECT_EQ(request_key("user", "made", NULL, 0), neg);
	/* A destination without write permission. */
	EXPECT_OK(keyctl(SETPERM, SESSION, 0x0b000000, 0, 0));
	EXPECT_ERRNO(request_key("user", "other", "info", SESSION), EACCES);
	EXPECT_OK(keyctl(SET_REQKEY, 3, 0, 0, 0));
	EXPECT_ERRNO(request_key("user", "other", "info", 0), EACCES);
	/* Instantiation needs authority nobody has here. */
	EXPECT_ERRNO(keyctl(INSTANTIATE, neg, (unsigned long)"x", 1, 0), EPERM);
	EXPECT_ERRNO(keyctl(INSTANTIATE, neg, (unsigned long)"x", 1024 * 1024, 0), EINVAL);
	EXPECT_ERRNO(keyctl(NEGATE, neg, 10, 0, 0), EPERM);
	EXPECT_ERRNO(keyctl(REJECT, neg, 10, 0, 0), EINVAL);
	EXPECT_ERRNO(keyctl(REJECT, neg, 10, 512, 0), EINVAL);
	EXPECT_ERRNO(keyctl(REJECT, neg, 10, EKEYREJECTED, 0), EPERM);
	EXPECT_EQ(keyctl(ASSUME_AUTHORITY, 0, 0, 0, 0), 0);
	EXPECT_ERRNO(keyctl(ASSUME_AUTHORITY, neg, 0, 0, 0), ENOKEY);
}

TEST(keys, request_key)
{
	in_child(request_keys);
}

static void reqkey_default(void)
{
	EXPECT_EQ(keyctl(SET_REQKEY, -1, 0, 0, 0), 0);
	EXPECT_EQ(keyctl(SET_REQKEY, 1, 0, 0, 0), 0);
	/* Setting the thread default made a thread keyring; doing it again keeps it. */
	long thread = keyctl(GET_KEYRING_ID, THREAD, 0, 0, 0);
	EXPECT_GT(thread, 0);
	EXPECT_EQ(keyctl(SET_REQKEY, 1, 0, 0, 0), 1);
	EXPECT_EQ(keyctl(GET_KEYRING_ID, THREAD, 0, 0, 0), thread);
	EXPECT_EQ(keyctl(SET_REQKEY, -1, 0, 0, 0), 1);
	EXPECT_ERRNO(keyctl(SET_REQKEY, 6, 0, 0, 0), EINVAL);
	EXPECT_ERRNO(keyctl(SET_REQKEY, 99, 0, 0, 0), EINVAL);
	/* A constructed key goes to the default keyring: now the thread keyring. */
	EXPECT_ERRNO(request_key("user", "q", "info", 0), ENOENT);
	EXPECT_EQ(keyctl(READ, THREAD, 0, 0, 0), 4);
	EXPECT_EQ(keyctl(SET_REQKEY, 0, 0, 0, 0), 1);
}

TEST(keys, reqkey_default)
{
	in_child(reqkey_default);
}

static long read_sysctl(const char *name)
{
	char path[128], buf[32] = {0};
	need_proc();
	snprintf(path, sizeof(path), "/proc/sys/kernel/keys/%s", name);
	h_read_file(path, buf, sizeof(buf) - 1);
	return strtol(buf, NULL, 10);
}

static void write_sysctl(const char *name, long value)
{
	char path[128], buf[32];
	snprintf(path, sizeof(path), "/proc/sys/kernel/keys/%s", name);
	snprintf(buf, sizeof(buf), "%ld\n", value);
	h_write_file(path, buf);
}

static void quotas(void)
{
	EXPECT_EQ(read_sysctl("maxkeys"), 200);
	EXPECT_EQ(read_sysctl("maxbytes"), 20000);
	EXPECT_EQ(read_sysctl("root_maxkeys"), 1000000);
	EXPECT_EQ(read_sysctl("root_maxbytes"), 25000000);
	EXPECT_EQ(read_sysctl("gc_delay"), 300);
	write_sysctl("maxkeys", 10);
	write_sysctl("maxbytes", 300);
	pid_t pid = h_fork();
	if (pid == 0) {
		EXPECT_OK(setgid(2000));
		EXPECT_OK(setuid(2000));
		long ring = keyctl(JOIN, 0, 0, 0, 0);
		EXPECT_GT(ring, 0);
		char desc[16];
		int n = 0;
		long r;
		for (;;) {
			snprintf(desc, sizeof(desc), "q%d", n);
			r = add_key("user", desc, "p", 1, SESSION);
			if (r < 0)
				break;
			n++;
			if (n > 20)
				break;
		}
		EXPECT_EQ(errno, EDQUOT);
		EXPECT_GE(n, 5);
		EXPECT_LE(n, 9);
		/* Freed keys give their quota back (Linux's collector does it soon after). */
		EXPECT_OK(keyctl(CLEAR, SESSION, 0, 0, 0));
		static char big[200];
		memset(big, 'b', sizeof(big));
		for (int tries = 0; tries < 50; tries++) {
			if (add_key("user", "big", big, 200, SESSION) > 0)
				break;
			EXPECT_EQ(errno, EDQUOT);
			usleep(100 * 1000);
		}
		EXPECT_GT(keyctl(SEARCH, SESSION, (unsigned long)"user", (unsigned long)"big", 0), 0);
		EXPECT_ERRNO(add_key("user", "big2", big, 200, SESSION), EDQUOT);
		/* Growing a payload past the byte quota. */
		long small = add_key("user", "s", "1", 1, SESSION);
		EXPECT_GT(small, 0);
		EXPECT_ERRNO(keyctl(UPDATE, small, (unsigned long)big, 200, 0), EDQUOT);
		_exit(0);
	}
	EXPECT_EQ(h_wait_exit(pid), 0);
	write_sysctl("maxkeys", 200);
	write_sysctl("maxbytes", 20000);
	need_proc();
	EXPECT_ERRNO(open("/proc/sys/kernel/keys/nosuch", O_RDONLY), ENOENT);
}

TEST(keys, quotas)
{
	in_child(quotas);
}

static void proc_files(void)
{
	long id = add_key("user", "shown", "abc", 3, SESSION);
	char want[16];
	snprintf(want, sizeof(want), "%08lx ", id);
	static char text[65536];
	need_proc();
	int fd = EXPECT_OK(open("/proc/keys", O_RDONLY));
	size_t n = h_read_all(fd, text, sizeof(text) - 1);
	text[n] = 0;
	close(fd);
	char *line = strstr(text, want);
	EXPECT_TRUE(line != NULL);
	char *end = strchr(line, '\n');
	EXPECT_TRUE(end != NULL);
	*end = 0;
	/* "SERIAL FLAGS USAGE EXPIRY PERM UID GID TYPE DESCRIPTION: LEN" */
	char serial[16], flags[16], expiry[16], perm[16], type[16], desc[32];
	int usage, uid, gid;
	EXPECT_EQ(sscanf(line, "%15s %15s %d %15s %15s %d %d %15s %31s", serial, flags, &usage,
			 expiry, perm, &uid, &gid, type, desc),
		  9);
	EXPECT_STREQ(flags, "I--Q---");
	EXPECT_STREQ(expiry, "perm");
	EXPECT_STREQ(perm, "3f010000");
	EXPECT_EQ(uid, 0);
	EXPECT_EQ(gid, 0);
	EXPECT_STREQ(type, "user");
	EXPECT_STREQ(desc, "shown:");
	EXPECT_TRUE(strstr(line, "shown: 3") != NULL);
	/* Column widths: the type is padded to nine characters. */
	EXPECT_TRUE(strstr(line, " user      shown: 3") != NULL);
	/* A revoked key shows R. */
	EXPECT_OK(keyctl(REVOKE, id, 0, 0, 0));
	fd = EXPECT_OK(open("/proc/keys", O_RDONLY));
	n = h_read_all(fd, text, sizeof(text) - 1);
	text[n] = 0;
	close(fd);
	line = strstr(text, want);
	EXPECT_TRUE(line != NULL);
	EXPECT_TRUE(strncmp(line + 9, "IR-Q---", 7) == 0);
	/* /proc/key-users: "UID: USAGE NKEYS/NIKEYS QNKEYS/MAXKEYS QNBYTES/MAXBYTES". */
	fd = EXPECT_OK(open("/proc/key-users", O_RDONLY));
	n = h_read_all(fd, text, sizeof(text) - 1);
	text[n] = 0;
	close(fd);
	line = strstr(text, "    0: ");
	EXPECT_TRUE(line == text);
	unsigned u, nk, nik, qk, mk, qb, mb;
	EXPECT_EQ(sscanf(line, "%u: %u %u/%u %u/%u %u/%u", &u, &usage, &nk, &nik, &qk, &mk, &qb, &mb), 8);
	EXPECT_EQ(mk, 1000000);
	EXPECT_EQ(mb, 25000000);
	EXPECT_GE(nk, 2);
	EXPECT_GE(qb, 10);
}

TEST(keys, proc_files)
{
	in_child(proc_files);
}

#define SESSION_TO_PARENT 18
#define RESTRICT_KEYRING 29
#define MOVE 30
#define GET_SECURITY 17

static void move_restrict_parent(void)
{
	char buf[64];
	long a = add_key("keyring", "a", NULL, 0, SESSION);
	long b = add_key("keyring", "b", NULL, 0, SESSION);
	long k = add_key("user", "k", "1", 1, a);
	/* MOVE: out of a into b; not there any more: ENOENT; unknown flags: EINVAL. */
	EXPECT_OK(keyctl(MOVE, k, a, b, 0));
	EXPECT_EQ(keyctl(READ, a, 0, 0, 0), 0);
	EXPECT_EQ(keyctl(READ, b, 0, 0, 0), 4);
	EXPECT_ERRNO(keyctl(MOVE, k, a, b, 0), ENOENT);
	EXPECT_ERRNO(keyctl(MOVE, k, b, a, 2), EINVAL);
	/* MOVE_EXCL into a keyring that has a key of that description: EEXIST. */
	EXPECT_GT(add_key("user", "k", "2", 1, a), 0);
	EXPECT_ERRNO(keyctl(MOVE, k, b, a, 1), EEXIST);
	/* Restricting a keyring with no type: nothing more may be linked; twice: EEXIST. */
	EXPECT_OK(keyctl(RESTRICT_KEYRING, b, 0, 0, 0));
	EXPECT_ERRNO(keyctl(RESTRICT_KEYRING, b, 0, 0, 0), EEXIST);
	EXPECT_ERRNO(add_key("user", "new", "1", 1, b), EPERM);
	EXPECT_ERRNO(keyctl(RESTRICT_KEYRING, b, 0, (unsigned long)"x", 0), EINVAL);
	EXPECT_ERRNO(keyctl(RESTRICT_KEYRING, k, 0, 0, 0), ENOTDIR);
	/* No security module labels keys: an empty string. */
	memset(buf, 'z', sizeof(buf));
	EXPECT_EQ(keyctl(GET_SECURITY, k, (unsigned long)buf, sizeof(buf), 0), 1);
	EXPECT_EQ(buf[0], 0);
	/* SESSION_TO_PARENT: never to init (this process's parent when the runner is init). */
	if (getppid() == 1)
		EXPECT_ERRNO(keyctl(SESSION_TO_PARENT, 0, 0, 0, 0), EPERM);
	/* A child gives its new session keyring to this process. */
	long mine = keyctl(GET_KEYRING_ID, SESSION, 0, 0, 0);
	int fds[2];
	h_pipe(fds);
	pid_t pid = h_fork();
	if (pid == 0) {
		/* The same keyring: nothing to do. */
		EXPECT_OK(keyctl(SESSION_TO_PARENT, 0, 0, 0, 0));
		long fresh = keyctl(JOIN, 0, 0, 0, 0);
		EXPECT_OK(keyctl(SESSION_TO_PARENT, 0, 0, 0, 0));
		EXPECT_EQ(write(fds[1], &fresh, sizeof(fresh)), sizeof(fresh));
		_exit(0);
	}
	EXPECT_EQ(h_wait_exit(pid), 0);
	long fresh = 0;
	EXPECT_EQ(read(fds[0], &fresh, sizeof(fresh)), sizeof(fresh));
	EXPECT_NE(fresh, mine);
	EXPECT_EQ(keyctl(GET_KEYRING_ID, SESSION, 0, 0, 0), fresh);
}

TEST(keys, move_restrict_session_to_parent)
{
	in_child(move_restrict_parent);
}
