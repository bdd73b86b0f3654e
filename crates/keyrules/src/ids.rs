//! Numbers of the keyctl interface (`include/uapi/linux/keyctl.h`).

/// Special key ids (`KEY_SPEC_*`).
pub const SPEC_THREAD_KEYRING: i32 = -1;
pub const SPEC_PROCESS_KEYRING: i32 = -2;
pub const SPEC_SESSION_KEYRING: i32 = -3;
pub const SPEC_USER_KEYRING: i32 = -4;
pub const SPEC_USER_SESSION_KEYRING: i32 = -5;
pub const SPEC_GROUP_KEYRING: i32 = -6;
pub const SPEC_REQKEY_AUTH_KEY: i32 = -7;
pub const SPEC_REQUESTOR_KEYRING: i32 = -8;

/// `KEY_REQKEY_DEFL_*`: where request_key links what it makes.
pub const REQKEY_NO_CHANGE: i32 = -1;
pub const REQKEY_DEFAULT: i32 = 0;
pub const REQKEY_THREAD: i32 = 1;
pub const REQKEY_PROCESS: i32 = 2;
pub const REQKEY_SESSION: i32 = 3;
pub const REQKEY_USER: i32 = 4;
pub const REQKEY_USER_SESSION: i32 = 5;
pub const REQKEY_GROUP: i32 = 6;
pub const REQKEY_REQUESTOR: i32 = 7;

/// `KEYCTL_*` commands.
pub const GET_KEYRING_ID: i32 = 0;
pub const JOIN_SESSION_KEYRING: i32 = 1;
pub const UPDATE: i32 = 2;
pub const REVOKE: i32 = 3;
pub const CHOWN: i32 = 4;
pub const SETPERM: i32 = 5;
pub const DESCRIBE: i32 = 6;
pub const CLEAR: i32 = 7;
pub const LINK: i32 = 8;
pub const UNLINK: i32 = 9;
pub const SEARCH: i32 = 10;
pub const READ: i32 = 11;
pub const INSTANTIATE: i32 = 12;
pub const NEGATE: i32 = 13;
pub const SET_REQKEY_KEYRING: i32 = 14;
pub const SET_TIMEOUT: i32 = 15;
pub const ASSUME_AUTHORITY: i32 = 16;
pub const GET_SECURITY: i32 = 17;
pub const SESSION_TO_PARENT: i32 = 18;
pub const REJECT: i32 = 19;
pub const INSTANTIATE_IOV: i32 = 20;
pub const INVALIDATE: i32 = 21;
pub const GET_PERSISTENT: i32 = 22;
pub const DH_COMPUTE: i32 = 23;
pub const PKEY_QUERY: i32 = 24;
pub const PKEY_ENCRYPT: i32 = 25;
pub const PKEY_DECRYPT: i32 = 26;
pub const PKEY_SIGN: i32 = 27;
pub const PKEY_VERIFY: i32 = 28;
pub const RESTRICT_KEYRING: i32 = 29;
pub const MOVE: i32 = 30;
pub const CAPABILITIES: i32 = 31;
pub const WATCH_KEY: i32 = 32;

/// `KEYCTL_MOVE_EXCL`.
pub const MOVE_EXCL: u32 = 1;

/// `KEYCTL_CAPS0_*` / `KEYCTL_CAPS1_*` bits of `KEYCTL_CAPABILITIES`.
pub const CAPS0_CAPABILITIES: u8 = 0x01;
pub const CAPS0_BIG_KEY: u8 = 0x10;
pub const CAPS0_INVALIDATE: u8 = 0x20;
pub const CAPS0_RESTRICT_KEYRING: u8 = 0x40;
pub const CAPS0_MOVE: u8 = 0x80;
pub const CAPS1_NS_KEYRING_NAME: u8 = 0x01;
pub const CAPS1_NS_KEY_TAG: u8 = 0x02;
