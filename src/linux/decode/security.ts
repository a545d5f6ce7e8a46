/**
 * Security- and tracing-related multiplexers: seccomp(2) (linux/seccomp.h), bpf(2) commands
 * (enum bpf_cmd in linux/bpf.h), keyctl(2) operations (linux/keyctl.h), landlock (linux/landlock.h)
 * and perf_event_open flags (linux/perf_event.h).
 */
import type { FlagSpec } from './render.js';
import type { Pairs } from './types.js';

/** seccomp(2) operation. */
export const SECCOMP_OPS: Pairs = [
  ['SECCOMP_SET_MODE_STRICT', 0],
  ['SECCOMP_SET_MODE_FILTER', 1],
  ['SECCOMP_GET_ACTION_AVAIL', 2],
  ['SECCOMP_GET_NOTIF_SIZES', 3],
];

/** seccomp(2) flags (SECCOMP_SET_MODE_FILTER; the other operations take 0). */
export const SECCOMP_FILTER_FLAGS: FlagSpec = {
  bits: [
    ['SECCOMP_FILTER_FLAG_TSYNC', 1 << 0],
    ['SECCOMP_FILTER_FLAG_LOG', 1 << 1],
    ['SECCOMP_FILTER_FLAG_SPEC_ALLOW', 1 << 2],
    ['SECCOMP_FILTER_FLAG_NEW_LISTENER', 1 << 3],
    ['SECCOMP_FILTER_FLAG_TSYNC_ESRCH', 1 << 4],
    ['SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV', 1 << 5],
  ],
};

/** prctl(PR_SET_SECCOMP) / PR_GET_SECCOMP modes. */
export const SECCOMP_MODES: Pairs = [
  ['SECCOMP_MODE_DISABLED', 0],
  ['SECCOMP_MODE_STRICT', 1],
  ['SECCOMP_MODE_FILTER', 2],
];

/** bpf(2) command. */
export const BPF_CMDS: Pairs = [
  ['BPF_MAP_CREATE', 0],
  ['BPF_MAP_LOOKUP_ELEM', 1],
  ['BPF_MAP_UPDATE_ELEM', 2],
  ['BPF_MAP_DELETE_ELEM', 3],
  ['BPF_MAP_GET_NEXT_KEY', 4],
  ['BPF_PROG_LOAD', 5],
  ['BPF_OBJ_PIN', 6],
  ['BPF_OBJ_GET', 7],
  ['BPF_PROG_ATTACH', 8],
  ['BPF_PROG_DETACH', 9],
  ['BPF_PROG_TEST_RUN', 10],
  ['BPF_PROG_GET_NEXT_ID', 11],
  ['BPF_MAP_GET_NEXT_ID', 12],
  ['BPF_PROG_GET_FD_BY_ID', 13],
  ['BPF_MAP_GET_FD_BY_ID', 14],
  ['BPF_OBJ_GET_INFO_BY_FD', 15],
  ['BPF_PROG_QUERY', 16],
  ['BPF_RAW_TRACEPOINT_OPEN', 17],
  ['BPF_BTF_LOAD', 18],
  ['BPF_BTF_GET_FD_BY_ID', 19],
  ['BPF_TASK_FD_QUERY', 20],
  ['BPF_MAP_LOOKUP_AND_DELETE_ELEM', 21],
  ['BPF_MAP_FREEZE', 22],
  ['BPF_BTF_GET_NEXT_ID', 23],
  ['BPF_MAP_LOOKUP_BATCH', 24],
  ['BPF_MAP_LOOKUP_AND_DELETE_BATCH', 25],
  ['BPF_MAP_UPDATE_BATCH', 26],
  ['BPF_MAP_DELETE_BATCH', 27],
  ['BPF_LINK_CREATE', 28],
  ['BPF_LINK_UPDATE', 29],
  ['BPF_LINK_GET_FD_BY_ID', 30],
  ['BPF_LINK_GET_NEXT_ID', 31],
  ['BPF_ENABLE_STATS', 32],
  ['BPF_ITER_CREATE', 33],
  ['BPF_LINK_DETACH', 34],
  ['BPF_PROG_BIND_MAP', 35],
  ['BPF_TOKEN_CREATE', 36],
];

/** keyctl(2) operation. */
export const KEYCTL_OPS: Pairs = [
  ['KEYCTL_GET_KEYRING_ID', 0],
  ['KEYCTL_JOIN_SESSION_KEYRING', 1],
  ['KEYCTL_UPDATE', 2],
  ['KEYCTL_REVOKE', 3],
  ['KEYCTL_CHOWN', 4],
  ['KEYCTL_SETPERM', 5],
  ['KEYCTL_DESCRIBE', 6],
  ['KEYCTL_CLEAR', 7],
  ['KEYCTL_LINK', 8],
  ['KEYCTL_UNLINK', 9],
  ['KEYCTL_SEARCH', 10],
  ['KEYCTL_READ', 11],
  ['KEYCTL_INSTANTIATE', 12],
  ['KEYCTL_NEGATE', 13],
  ['KEYCTL_SET_REQKEY_KEYRING', 14],
  ['KEYCTL_SET_TIMEOUT', 15],
  ['KEYCTL_ASSUME_AUTHORITY', 16],
  ['KEYCTL_GET_SECURITY', 17],
  ['KEYCTL_SESSION_TO_PARENT', 18],
  ['KEYCTL_REJECT', 19],
  ['KEYCTL_INSTANTIATE_IOV', 20],
  ['KEYCTL_INVALIDATE', 21],
  ['KEYCTL_GET_PERSISTENT', 22],
  ['KEYCTL_DH_COMPUTE', 23],
  ['KEYCTL_PKEY_QUERY', 24],
  ['KEYCTL_PKEY_ENCRYPT', 25],
  ['KEYCTL_PKEY_DECRYPT', 26],
  ['KEYCTL_PKEY_SIGN', 27],
  ['KEYCTL_PKEY_VERIFY', 28],
  ['KEYCTL_RESTRICT_KEYRING', 29],
  ['KEYCTL_MOVE', 30],
  ['KEYCTL_CAPABILITIES', 31],
  ['KEYCTL_WATCH_KEY', 32],
];

/** landlock_create_ruleset flags. */
export const LANDLOCK_CREATE_FLAGS: FlagSpec = {
  bits: [
    ['LANDLOCK_CREATE_RULESET_VERSION', 1 << 0],
    ['LANDLOCK_CREATE_RULESET_ERRATA', 1 << 1],
  ],
};

/** landlock_add_rule rule_type. */
export const LANDLOCK_RULE_TYPES: Pairs = [
  ['LANDLOCK_RULE_PATH_BENEATH', 1],
  ['LANDLOCK_RULE_NET_PORT', 2],
];

/** perf_event_open flags (the attr pointer is not decoded). */
export const PERF_FLAGS: FlagSpec = {
  bits: [
    ['PERF_FLAG_FD_NO_GROUP', 1 << 0],
    ['PERF_FLAG_FD_OUTPUT', 1 << 1],
    ['PERF_FLAG_PID_CGROUP', 1 << 2],
    ['PERF_FLAG_FD_CLOEXEC', 1 << 3],
  ],
};
