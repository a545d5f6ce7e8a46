/**
 * Socket constants (bits/socket.h, asm-generic/socket.h, linux/in.h, linux/in6.h, linux/tcp.h,
 * linux/udp.h, linux/netlink.h, linux/if_ether.h, linux/net.h) and the sockaddr renderer.
 * x86 and arm64 share all of these.
 */
import { formatEnum, lookup, type FlagSpec } from './render.js';
import type { Pairs, Render } from './types.js';

/** Address families (socket domain, sa_family). */
export const AF_FAMILIES: Pairs = [
  ['AF_UNSPEC', 0],
  ['AF_UNIX', 1],
  ['AF_INET', 2],
  ['AF_AX25', 3],
  ['AF_IPX', 4],
  ['AF_APPLETALK', 5],
  ['AF_NETROM', 6],
  ['AF_BRIDGE', 7],
  ['AF_ATMPVC', 8],
  ['AF_X25', 9],
  ['AF_INET6', 10],
  ['AF_ROSE', 11],
  ['AF_DECnet', 12],
  ['AF_NETBEUI', 13],
  ['AF_SECURITY', 14],
  ['AF_KEY', 15],
  ['AF_NETLINK', 16],
  ['AF_PACKET', 17],
  ['AF_ASH', 18],
  ['AF_ECONET', 19],
  ['AF_ATMSVC', 20],
  ['AF_RDS', 21],
  ['AF_SNA', 22],
  ['AF_IRDA', 23],
  ['AF_PPPOX', 24],
  ['AF_WANPIPE', 25],
  ['AF_LLC', 26],
  ['AF_IB', 27],
  ['AF_MPLS', 28],
  ['AF_CAN', 29],
  ['AF_TIPC', 30],
  ['AF_BLUETOOTH', 31],
  ['AF_IUCV', 32],
  ['AF_RXRPC', 33],
  ['AF_ISDN', 34],
  ['AF_PHONET', 35],
  ['AF_IEEE802154', 36],
  ['AF_CAIF', 37],
  ['AF_ALG', 38],
  ['AF_NFC', 39],
  ['AF_VSOCK', 40],
  ['AF_KCM', 41],
  ['AF_QIPCRTR', 42],
  ['AF_SMC', 43],
  ['AF_XDP', 44],
  ['AF_MCTP', 45],
];

const AF_UNIX = 1;
const AF_INET = 2;
const AF_INET6 = 10;
const AF_NETLINK = 16;
const AF_PACKET = 17;

/** socket type (low nibble of the type argument). */
export const SOCK_TYPES: Pairs = [
  ['SOCK_STREAM', 1],
  ['SOCK_DGRAM', 2],
  ['SOCK_RAW', 3],
  ['SOCK_RDM', 4],
  ['SOCK_SEQPACKET', 5],
  ['SOCK_DCCP', 6],
  ['SOCK_PACKET', 10],
];

/** SOCK_NONBLOCK / SOCK_CLOEXEC (= O_NONBLOCK / O_CLOEXEC on every arch sbx supports). */
export const SOCK_FLAG_BITS: Pairs = [
  ['SOCK_NONBLOCK', 0o4000],
  ['SOCK_CLOEXEC', 0o2000000],
];

/** socket / socketpair type: SOCK_STREAM|SOCK_CLOEXEC. */
export const SOCK_TYPE_FLAGS: FlagSpec = { bits: SOCK_FLAG_BITS, fields: [{ mask: 0xf, names: SOCK_TYPES }] };

/** accept4 flags. */
export const ACCEPT4_FLAGS: FlagSpec = { bits: SOCK_FLAG_BITS };

/** IP protocols (socket protocol for AF_INET / AF_INET6; also SOL_* levels). */
export const IPPROTOS: Pairs = [
  ['IPPROTO_IP', 0],
  ['IPPROTO_ICMP', 1],
  ['IPPROTO_IGMP', 2],
  ['IPPROTO_IPIP', 4],
  ['IPPROTO_TCP', 6],
  ['IPPROTO_EGP', 8],
  ['IPPROTO_PUP', 12],
  ['IPPROTO_UDP', 17],
  ['IPPROTO_IDP', 22],
  ['IPPROTO_TP', 29],
  ['IPPROTO_DCCP', 33],
  ['IPPROTO_IPV6', 41],
  ['IPPROTO_RSVP', 46],
  ['IPPROTO_GRE', 47],
  ['IPPROTO_ESP', 50],
  ['IPPROTO_AH', 51],
  ['IPPROTO_ICMPV6', 58],
  ['IPPROTO_MTP', 92],
  ['IPPROTO_BEETPH', 94],
  ['IPPROTO_ENCAP', 98],
  ['IPPROTO_PIM', 103],
  ['IPPROTO_COMP', 108],
  ['IPPROTO_L2TP', 115],
  ['IPPROTO_SCTP', 132],
  ['IPPROTO_UDPLITE', 136],
  ['IPPROTO_MPLS', 137],
  ['IPPROTO_ETHERNET', 143],
  ['IPPROTO_RAW', 255],
  ['IPPROTO_MPTCP', 262],
];

/** AF_NETLINK protocols. */
export const NETLINK_PROTOCOLS: Pairs = [
  ['NETLINK_ROUTE', 0],
  ['NETLINK_UNUSED', 1],
  ['NETLINK_USERSOCK', 2],
  ['NETLINK_FIREWALL', 3],
  ['NETLINK_SOCK_DIAG', 4],
  ['NETLINK_NFLOG', 5],
  ['NETLINK_XFRM', 6],
  ['NETLINK_SELINUX', 7],
  ['NETLINK_ISCSI', 8],
  ['NETLINK_AUDIT', 9],
  ['NETLINK_FIB_LOOKUP', 10],
  ['NETLINK_CONNECTOR', 11],
  ['NETLINK_NETFILTER', 12],
  ['NETLINK_IP6_FW', 13],
  ['NETLINK_DNRTMSG', 14],
  ['NETLINK_KOBJECT_UEVENT', 15],
  ['NETLINK_GENERIC', 16],
  ['NETLINK_SCSITRANSPORT', 18],
  ['NETLINK_ECRYPTFS', 19],
  ['NETLINK_RDMA', 20],
  ['NETLINK_CRYPTO', 21],
  ['NETLINK_SMC', 22],
];

/** AF_PACKET protocols (passed in network byte order: htons(ETH_P_ALL)). */
export const ETH_PROTOCOLS: Pairs = [
  ['ETH_P_802_3', 0x0001],
  ['ETH_P_ALL', 0x0003],
  ['ETH_P_LOOP', 0x0060],
  ['ETH_P_IP', 0x0800],
  ['ETH_P_ARP', 0x0806],
  ['ETH_P_8021Q', 0x8100],
  ['ETH_P_IPV6', 0x86dd],
  ['ETH_P_PAE', 0x888e],
];

function renderEthProtocol(v: bigint): string {
  if (v > 0xffffn) return v.toString();
  const host = ((v & 0xffn) << 8n) | (v >> 8n);
  const name = lookup(ETH_PROTOCOLS, host);
  return name ? `htons(${name})` : v.toString();
}

/** Protocol renderers by socket domain; other domains' protocols are plain numbers. */
export const PROTOCOLS_BY_DOMAIN: ReadonlyMap<number, Render> = new Map<number, Render>([
  [AF_INET, (v) => formatEnum(IPPROTOS, v)],
  [AF_INET6, (v) => formatEnum(IPPROTOS, v)],
  [AF_NETLINK, (v) => formatEnum(NETLINK_PROTOCOLS, v)],
  [AF_PACKET, renderEthProtocol],
]);

/** The protocol renderer for a socket domain, or undefined when the protocol is just a number there. */
export function protocolRenderer(domain: bigint): Render | undefined {
  return PROTOCOLS_BY_DOMAIN.get(Number(BigInt.asUintN(32, domain)));
}

// ---- socket options ------------------------------------------------------------------------

/** getsockopt / setsockopt level. */
export const SOL_LEVELS: Pairs = [
  ['SOL_IP', 0],
  ['SOL_SOCKET', 1],
  ['SOL_TCP', 6],
  ['SOL_UDP', 17],
  ['SOL_IPV6', 41],
  ['SOL_ICMPV6', 58],
  ['SOL_RAW', 255],
  ['SOL_DECNET', 261],
  ['SOL_X25', 262],
  ['SOL_PACKET', 263],
  ['SOL_ATM', 264],
  ['SOL_AAL', 265],
  ['SOL_IRDA', 266],
  ['SOL_NETBEUI', 267],
  ['SOL_LLC', 268],
  ['SOL_DCCP', 269],
  ['SOL_NETLINK', 270],
  ['SOL_TIPC', 271],
  ['SOL_RXRPC', 272],
  ['SOL_PPPOL2TP', 273],
  ['SOL_BLUETOOTH', 274],
  ['SOL_PNPIPE', 275],
  ['SOL_RDS', 276],
  ['SOL_IUCV', 277],
  ['SOL_CAIF', 278],
  ['SOL_ALG', 279],
  ['SOL_NFC', 280],
  ['SOL_KCM', 281],
  ['SOL_TLS', 282],
  ['SOL_XDP', 283],
  ['SOL_MPTCP', 284],
  ['SOL_MCTP', 285],
  ['SOL_SMC', 286],
];

/** SOL_SOCKET options (asm-generic/socket.h; the *_OLD names are the 64-bit time variants). */
export const SO_OPTIONS: Pairs = [
  ['SO_DEBUG', 1],
  ['SO_REUSEADDR', 2],
  ['SO_TYPE', 3],
  ['SO_ERROR', 4],
  ['SO_DONTROUTE', 5],
  ['SO_BROADCAST', 6],
  ['SO_SNDBUF', 7],
  ['SO_RCVBUF', 8],
  ['SO_KEEPALIVE', 9],
  ['SO_OOBINLINE', 10],
  ['SO_NO_CHECK', 11],
  ['SO_PRIORITY', 12],
  ['SO_LINGER', 13],
  ['SO_BSDCOMPAT', 14],
  ['SO_REUSEPORT', 15],
  ['SO_PASSCRED', 16],
  ['SO_PEERCRED', 17],
  ['SO_RCVLOWAT', 18],
  ['SO_SNDLOWAT', 19],
  ['SO_RCVTIMEO_OLD', 20],
  ['SO_SNDTIMEO_OLD', 21],
  ['SO_SECURITY_AUTHENTICATION', 22],
  ['SO_SECURITY_ENCRYPTION_TRANSPORT', 23],
  ['SO_SECURITY_ENCRYPTION_NETWORK', 24],
  ['SO_BINDTODEVICE', 25],
  ['SO_ATTACH_FILTER', 26],
  ['SO_DETACH_FILTER', 27],
  ['SO_PEERNAME', 28],
  ['SO_TIMESTAMP_OLD', 29],
  ['SO_ACCEPTCONN', 30],
  ['SO_PEERSEC', 31],
  ['SO_SNDBUFFORCE', 32],
  ['SO_RCVBUFFORCE', 33],
  ['SO_PASSSEC', 34],
  ['SO_TIMESTAMPNS_OLD', 35],
  ['SO_MARK', 36],
  ['SO_TIMESTAMPING_OLD', 37],
  ['SO_PROTOCOL', 38],
  ['SO_DOMAIN', 39],
  ['SO_RXQ_OVFL', 40],
  ['SO_WIFI_STATUS', 41],
  ['SO_PEEK_OFF', 42],
  ['SO_NOFCS', 43],
  ['SO_LOCK_FILTER', 44],
  ['SO_SELECT_ERR_QUEUE', 45],
  ['SO_BUSY_POLL', 46],
  ['SO_MAX_PACING_RATE', 47],
  ['SO_BPF_EXTENSIONS', 48],
  ['SO_INCOMING_CPU', 49],
  ['SO_ATTACH_BPF', 50],
  ['SO_ATTACH_REUSEPORT_CBPF', 51],
  ['SO_ATTACH_REUSEPORT_EBPF', 52],
  ['SO_CNX_ADVICE', 53],
  ['SO_MEMINFO', 55],
  ['SO_INCOMING_NAPI_ID', 56],
  ['SO_COOKIE', 57],
  ['SO_PEERGROUPS', 59],
  ['SO_ZEROCOPY', 60],
  ['SO_TXTIME', 61],
  ['SO_BINDTOIFINDEX', 62],
  ['SO_TIMESTAMP_NEW', 63],
  ['SO_TIMESTAMPNS_NEW', 64],
  ['SO_TIMESTAMPING_NEW', 65],
  ['SO_RCVTIMEO_NEW', 66],
  ['SO_SNDTIMEO_NEW', 67],
  ['SO_DETACH_REUSEPORT_BPF', 68],
  ['SO_PREFER_BUSY_POLL', 69],
  ['SO_BUSY_POLL_BUDGET', 70],
  ['SO_NETNS_COOKIE', 71],
  ['SO_BUF_LOCK', 72],
  ['SO_RESERVE_MEM', 73],
  ['SO_TXREHASH', 74],
  ['SO_RCVMARK', 75],
  ['SO_PASSPIDFD', 76],
  ['SO_PEERPIDFD', 77],
];

/** SOL_IP options (linux/in.h). */
export const IP_OPTIONS: Pairs = [
  ['IP_TOS', 1],
  ['IP_TTL', 2],
  ['IP_HDRINCL', 3],
  ['IP_OPTIONS', 4],
  ['IP_ROUTER_ALERT', 5],
  ['IP_RECVOPTS', 6],
  ['IP_RETOPTS', 7],
  ['IP_PKTINFO', 8],
  ['IP_PKTOPTIONS', 9],
  ['IP_MTU_DISCOVER', 10],
  ['IP_RECVERR', 11],
  ['IP_RECVTTL', 12],
  ['IP_RECVTOS', 13],
  ['IP_MTU', 14],
  ['IP_FREEBIND', 15],
  ['IP_IPSEC_POLICY', 16],
  ['IP_XFRM_POLICY', 17],
  ['IP_PASSSEC', 18],
  ['IP_TRANSPARENT', 19],
  ['IP_ORIGDSTADDR', 20],
  ['IP_MINTTL', 21],
  ['IP_NODEFRAG', 22],
  ['IP_CHECKSUM', 23],
  ['IP_BIND_ADDRESS_NO_PORT', 24],
  ['IP_RECVFRAGSIZE', 25],
  ['IP_RECVERR_RFC4884', 26],
  ['IP_MULTICAST_IF', 32],
  ['IP_MULTICAST_TTL', 33],
  ['IP_MULTICAST_LOOP', 34],
  ['IP_ADD_MEMBERSHIP', 35],
  ['IP_DROP_MEMBERSHIP', 36],
  ['IP_UNBLOCK_SOURCE', 37],
  ['IP_BLOCK_SOURCE', 38],
  ['IP_ADD_SOURCE_MEMBERSHIP', 39],
  ['IP_DROP_SOURCE_MEMBERSHIP', 40],
  ['IP_MSFILTER', 41],
  ['MCAST_JOIN_GROUP', 42],
  ['MCAST_BLOCK_SOURCE', 43],
  ['MCAST_UNBLOCK_SOURCE', 44],
  ['MCAST_LEAVE_GROUP', 45],
  ['MCAST_JOIN_SOURCE_GROUP', 46],
  ['MCAST_LEAVE_SOURCE_GROUP', 47],
  ['MCAST_MSFILTER', 48],
  ['IP_MULTICAST_ALL', 49],
  ['IP_UNICAST_IF', 50],
  ['IP_LOCAL_PORT_RANGE', 51],
  ['IP_PROTOCOL', 52],
];

/** SOL_IPV6 options (linux/in6.h). */
export const IPV6_OPTIONS: Pairs = [
  ['IPV6_ADDRFORM', 1],
  ['IPV6_2292PKTINFO', 2],
  ['IPV6_2292HOPOPTS', 3],
  ['IPV6_2292DSTOPTS', 4],
  ['IPV6_2292RTHDR', 5],
  ['IPV6_2292PKTOPTIONS', 6],
  ['IPV6_CHECKSUM', 7],
  ['IPV6_2292HOPLIMIT', 8],
  ['IPV6_NEXTHOP', 9],
  ['IPV6_AUTHHDR', 10],
  ['IPV6_FLOWINFO', 11],
  ['IPV6_UNICAST_HOPS', 16],
  ['IPV6_MULTICAST_IF', 17],
  ['IPV6_MULTICAST_HOPS', 18],
  ['IPV6_MULTICAST_LOOP', 19],
  ['IPV6_ADD_MEMBERSHIP', 20],
  ['IPV6_DROP_MEMBERSHIP', 21],
  ['IPV6_ROUTER_ALERT', 22],
  ['IPV6_MTU_DISCOVER', 23],
  ['IPV6_MTU', 24],
  ['IPV6_RECVERR', 25],
  ['IPV6_V6ONLY', 26],
  ['IPV6_JOIN_ANYCAST', 27],
  ['IPV6_LEAVE_ANYCAST', 28],
  ['IPV6_MULTICAST_ALL', 29],
  ['IPV6_ROUTER_ALERT_ISOLATE', 30],
  ['IPV6_RECVERR_RFC4884', 31],
  ['IPV6_FLOWLABEL_MGR', 32],
  ['IPV6_FLOWINFO_SEND', 33],
  ['IPV6_IPSEC_POLICY', 34],
  ['IPV6_XFRM_POLICY', 35],
  ['IPV6_HDRINCL', 36],
  ['MCAST_JOIN_GROUP', 42],
  ['MCAST_BLOCK_SOURCE', 43],
  ['MCAST_UNBLOCK_SOURCE', 44],
  ['MCAST_LEAVE_GROUP', 45],
  ['MCAST_JOIN_SOURCE_GROUP', 46],
  ['MCAST_LEAVE_SOURCE_GROUP', 47],
  ['MCAST_MSFILTER', 48],
  ['IPV6_RECVPKTINFO', 49],
  ['IPV6_PKTINFO', 50],
  ['IPV6_RECVHOPLIMIT', 51],
  ['IPV6_HOPLIMIT', 52],
  ['IPV6_RECVHOPOPTS', 53],
  ['IPV6_HOPOPTS', 54],
  ['IPV6_RTHDRDSTOPTS', 55],
  ['IPV6_RECVRTHDR', 56],
  ['IPV6_RTHDR', 57],
  ['IPV6_RECVDSTOPTS', 58],
  ['IPV6_DSTOPTS', 59],
  ['IPV6_RECVPATHMTU', 60],
  ['IPV6_PATHMTU', 61],
  ['IPV6_DONTFRAG', 62],
  ['IPV6_RECVTCLASS', 66],
  ['IPV6_TCLASS', 67],
  ['IPV6_AUTOFLOWLABEL', 70],
  ['IPV6_ADDR_PREFERENCES', 72],
  ['IPV6_MINHOPCOUNT', 73],
  ['IPV6_ORIGDSTADDR', 74],
  ['IPV6_TRANSPARENT', 75],
  ['IPV6_UNICAST_IF', 76],
  ['IPV6_RECVFRAGSIZE', 77],
  ['IPV6_FREEBIND', 78],
];

/** SOL_TCP options (linux/tcp.h). */
export const TCP_OPTIONS: Pairs = [
  ['TCP_NODELAY', 1],
  ['TCP_MAXSEG', 2],
  ['TCP_CORK', 3],
  ['TCP_KEEPIDLE', 4],
  ['TCP_KEEPINTVL', 5],
  ['TCP_KEEPCNT', 6],
  ['TCP_SYNCNT', 7],
  ['TCP_LINGER2', 8],
  ['TCP_DEFER_ACCEPT', 9],
  ['TCP_WINDOW_CLAMP', 10],
  ['TCP_INFO', 11],
  ['TCP_QUICKACK', 12],
  ['TCP_CONGESTION', 13],
  ['TCP_MD5SIG', 14],
  ['TCP_THIN_LINEAR_TIMEOUTS', 16],
  ['TCP_THIN_DUPACK', 17],
  ['TCP_USER_TIMEOUT', 18],
  ['TCP_REPAIR', 19],
  ['TCP_REPAIR_QUEUE', 20],
  ['TCP_QUEUE_SEQ', 21],
  ['TCP_REPAIR_OPTIONS', 22],
  ['TCP_FASTOPEN', 23],
  ['TCP_TIMESTAMP', 24],
  ['TCP_NOTSENT_LOWAT', 25],
  ['TCP_CC_INFO', 26],
  ['TCP_SAVE_SYN', 27],
  ['TCP_SAVED_SYN', 28],
  ['TCP_REPAIR_WINDOW', 29],
  ['TCP_FASTOPEN_CONNECT', 30],
  ['TCP_ULP', 31],
  ['TCP_MD5SIG_EXT', 32],
  ['TCP_FASTOPEN_KEY', 33],
  ['TCP_FASTOPEN_NO_COOKIE', 34],
  ['TCP_ZEROCOPY_RECEIVE', 35],
  ['TCP_INQ', 36],
  ['TCP_TX_DELAY', 37],
];

/** SOL_UDP options (linux/udp.h). */
export const UDP_OPTIONS: Pairs = [
  ['UDP_CORK', 1],
  ['UDP_ENCAP', 100],
  ['UDP_NO_CHECK6_TX', 101],
  ['UDP_NO_CHECK6_RX', 102],
  ['UDP_SEGMENT', 103],
  ['UDP_GRO', 104],
];

/** SOL_NETLINK options (linux/netlink.h). */
export const NETLINK_OPTIONS: Pairs = [
  ['NETLINK_ADD_MEMBERSHIP', 1],
  ['NETLINK_DROP_MEMBERSHIP', 2],
  ['NETLINK_PKTINFO', 3],
  ['NETLINK_BROADCAST_ERROR', 4],
  ['NETLINK_NO_ENOBUFS', 5],
  ['NETLINK_RX_RING', 6],
  ['NETLINK_TX_RING', 7],
  ['NETLINK_LISTEN_ALL_NSID', 8],
  ['NETLINK_LIST_MEMBERSHIPS', 9],
  ['NETLINK_CAP_ACK', 10],
  ['NETLINK_EXT_ACK', 11],
  ['NETLINK_GET_STRICT_CHK', 12],
];

/** Option-name table per level (SOL_* value); levels not listed render optnames as numbers. */
export const OPTIONS_BY_LEVEL: ReadonlyMap<number, Pairs> = new Map([
  [1, SO_OPTIONS],
  [0, IP_OPTIONS],
  [6, TCP_OPTIONS],
  [17, UDP_OPTIONS],
  [41, IPV6_OPTIONS],
  [270, NETLINK_OPTIONS],
]);

/** The optname renderer for a level, or undefined when sbx has no table for it. */
export function optnameRenderer(level: bigint): Render | undefined {
  const table = OPTIONS_BY_LEVEL.get(Number(BigInt.asUintN(32, level)));
  return table ? (v) => formatEnum(table, v) : undefined;
}

/** Flags of the send and recv families. */
export const MSG_FLAGS: FlagSpec = {
  bits: [
    ['MSG_OOB', 0x1],
    ['MSG_PEEK', 0x2],
    ['MSG_DONTROUTE', 0x4],
    ['MSG_CTRUNC', 0x8],
    ['MSG_PROXY', 0x10],
    ['MSG_TRUNC', 0x20],
    ['MSG_DONTWAIT', 0x40],
    ['MSG_EOR', 0x80],
    ['MSG_WAITALL', 0x100],
    ['MSG_FIN', 0x200],
    ['MSG_SYN', 0x400],
    ['MSG_CONFIRM', 0x800],
    ['MSG_RST', 0x1000],
    ['MSG_ERRQUEUE', 0x2000],
    ['MSG_NOSIGNAL', 0x4000],
    ['MSG_MORE', 0x8000],
    ['MSG_WAITFORONE', 0x10000],
    ['MSG_BATCH', 0x40000],
    ['MSG_ZEROCOPY', 0x4000000],
    ['MSG_FASTOPEN', 0x20000000],
    ['MSG_CMSG_CLOEXEC', 0x40000000],
  ],
};

/** shutdown how. */
export const SHUT_HOW: Pairs = [
  ['SHUT_RD', 0],
  ['SHUT_WR', 1],
  ['SHUT_RDWR', 2],
];

/** i386 socketcall(2) call numbers (linux/net.h). */
export const SOCKETCALL_CALLS: Pairs = [
  ['SYS_SOCKET', 1],
  ['SYS_BIND', 2],
  ['SYS_CONNECT', 3],
  ['SYS_LISTEN', 4],
  ['SYS_ACCEPT', 5],
  ['SYS_GETSOCKNAME', 6],
  ['SYS_GETPEERNAME', 7],
  ['SYS_SOCKETPAIR', 8],
  ['SYS_SEND', 9],
  ['SYS_RECV', 10],
  ['SYS_SENDTO', 11],
  ['SYS_RECVFROM', 12],
  ['SYS_SHUTDOWN', 13],
  ['SYS_SETSOCKOPT', 14],
  ['SYS_GETSOCKOPT', 15],
  ['SYS_SENDMSG', 16],
  ['SYS_RECVMSG', 17],
  ['SYS_ACCEPT4', 18],
  ['SYS_RECVMMSG', 19],
  ['SYS_SENDMMSG', 20],
];

// ---- sockaddr ------------------------------------------------------------------------------

function escapeBytes(bytes: Uint8Array): string {
  let out = '';
  const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
  for (const ch of text) {
    const cp = ch.codePointAt(0) ?? 0;
    if (cp < 0x20 || cp === 0x7f || ch === '\\') out += ch === '\\' ? '\\\\' : `\\x${cp.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return out;
}

function formatIpv4(b: Uint8Array, at: number): string {
  return `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;
}

/** RFC 5952 text form of a 16-byte IPv6 address (longest zero run compressed, v4-mapped as dotted quad). */
export function formatIpv6(b: Uint8Array, at = 0): string {
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push(((b[at + 2 * i] ?? 0) << 8) | (b[at + 2 * i + 1] ?? 0));
  const v4mapped = groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff;
  if (v4mapped) return `::ffff:${formatIpv4(b, at + 12)}`;
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hexes = groups.map((g) => g.toString(16));
  if (bestLen < 2) return hexes.join(':');
  const head = hexes.slice(0, bestStart).join(':');
  const tail = hexes.slice(bestStart + bestLen).join(':');
  return `${head}::${tail}`;
}

/**
 * Render a socket address read from the tracee (pass exactly the addrlen bytes the call named):
 * AF_INET "1.2.3.4:80", AF_INET6 "[::1]:80" (with "%scope" when set), AF_UNIX the path or
 * "@name" for the abstract namespace (non-printable bytes as \xNN), anything else its family name.
 */
export function formatSockaddr(bytes: Uint8Array): string {
  if (bytes.length < 2) return '(empty)';
  const family = bytes[0]! | (bytes[1]! << 8); // sa_family_t is host order; every supported arch is little-endian
  const port = (at: number): number => (bytes[at]! << 8) | bytes[at + 1]!;
  switch (family) {
    case AF_INET:
      if (bytes.length < 8) return 'AF_INET(truncated)';
      return `${formatIpv4(bytes, 4)}:${port(2)}`;
    case AF_INET6: {
      if (bytes.length < 24) return 'AF_INET6(truncated)';
      const scope = bytes.length >= 28 ? (bytes[24]! | (bytes[25]! << 8) | (bytes[26]! << 16) | (bytes[27]! << 24)) >>> 0 : 0;
      return `[${formatIpv6(bytes, 8)}${scope ? `%${scope}` : ''}]:${port(2)}`;
    }
    case AF_UNIX: {
      const path = bytes.subarray(2);
      if (path.length === 0) return 'AF_UNIX(unnamed)';
      if (path[0] === 0) return `@${escapeBytes(path.subarray(1))}`;
      const nul = path.indexOf(0);
      return escapeBytes(nul >= 0 ? path.subarray(0, nul) : path);
    }
    default:
      return lookup(AF_FAMILIES, BigInt(family)) ?? `AF_${family}`;
  }
}
