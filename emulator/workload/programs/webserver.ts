/**
 * webserver: an nginx worker serving static files. It waits in epoll_wait,
 * accepts, recv()s and parses requests, then sends headers with writev() and
 * the body with sendfile(), and appends to the access log. Syscall heavy:
 * most of its time is in the kernel's TCP stack, and on a guest every
 * virtio-net kick (vp_notify) is an I/O exit.
 */
import type { ProgramSpec } from '../program';
import { kernelChain, kernelFn, kernelThrough, program, startup, through, userFn } from './build';
import { epollWait, ext4Read, ext4Write, openat, syscall, tcpRecvmsg, tcpSendmsg, tcpXmit } from './kernel';

const BIN = 'nginx';

/** nginx's own code: `self` weight and mean burst in µs. */
const ngx = (self: number, burst_us: number, calls: Record<string, number> = {}) =>
  userFn(BIN, { self, burst_us, rates: { ipc: 1.6, branches: 0.2, branch_miss: 0.02, cache_refs: 0.012, cache_miss: 0.15 }, calls });

const worker = {
  // Workers are forked by the master, so their stacks start in it.
  main: through(BIN, 'ngx_master_process_cycle'),
  ngx_master_process_cycle: through(BIN, 'ngx_start_worker_processes'),
  ngx_start_worker_processes: through(BIN, 'ngx_spawn_process'),
  ngx_spawn_process: through(BIN, 'ngx_worker_process_cycle'),
  ngx_worker_process_cycle: through(BIN, 'ngx_process_events_and_timers'),
  ngx_process_events_and_timers: ngx(0.01, 1.2, { ngx_epoll_process_events: 1, ngx_event_expire_timers: 0.01 }),
  ngx_event_expire_timers: ngx(1, 1.2),
  ngx_epoll_process_events: ngx(0.02, 1.2, { epoll_wait: 0.15, ngx_event_accept: 0.03, ngx_http_wait_request_handler: 0.82 }),
  ngx_event_accept: ngx(0.3, 2, { accept4: 0.7 }),
  ngx_http_wait_request_handler: ngx(0.03, 1.2, { ngx_unix_recv: 0.35, ngx_http_process_request_line: 0.6 }),
  ngx_unix_recv: through(BIN, 'recv'),
  ngx_http_process_request_line: ngx(0.05, 1.5, {
    ngx_http_parse_request_line: 0.1, ngx_http_process_request_headers: 0.15, ngx_http_process_request: 0.7,
  }),
  ngx_http_parse_request_line: ngx(1, 1.5),
  ngx_http_process_request_headers: ngx(0.1, 1.2, { ngx_http_parse_header_line: 0.6, ngx_hash_find: 0.3 }),
  ngx_http_parse_header_line: ngx(1, 1.2),
  ngx_hash_find: ngx(1, 0.8),
  ngx_http_process_request: through(BIN, 'ngx_http_handler'),
  ngx_http_handler: through(BIN, 'ngx_http_core_run_phases'),
  ngx_http_core_run_phases: ngx(0.05, 1.2, { ngx_http_core_find_location: 0.05, ngx_http_static_handler: 0.75, ngx_http_log_handler: 0.15 }),
  ngx_http_core_find_location: ngx(1, 1.2),
  ngx_http_static_handler: ngx(0.05, 1.5, { ngx_open_cached_file: 0.2, ngx_http_send_header: 0.1, ngx_http_output_filter: 0.65 }),
  ngx_open_cached_file: ngx(0.4, 1.2, { ngx_open_and_stat_file: 0.6 }),
  ngx_open_and_stat_file: through(BIN, '__libc_open64'),
  ngx_http_send_header: through(BIN, 'ngx_http_header_filter'),
  ngx_http_header_filter: ngx(1, 1.5),
  ngx_http_output_filter: through(BIN, 'ngx_http_write_filter'),
  ngx_http_write_filter: through(BIN, 'ngx_linux_sendfile_chain'),
  ngx_linux_sendfile_chain: ngx(0.05, 1.2, { ngx_writev: 0.35, ngx_linux_sendfile: 0.6 }),
  ngx_writev: through(BIN, 'writev'),
  ngx_linux_sendfile: through(BIN, 'sendfile64'),
  ngx_http_log_handler: ngx(0.3, 2, { ngx_write_fd: 0.5 }),
  ngx_write_fd: through(BIN, '__libc_write'),
};

/** sendfile(): page-cache pages go to the socket through a pipe without a copy. */
const sendfile = {
  ...kernelChain(['do_sendfile', 'do_splice_direct'], 'splice_direct_to_actor'),
  splice_direct_to_actor: kernelFn({ calls: { do_splice_to: 0.4, direct_splice_actor: 0.6 } }),
  ...kernelChain(['do_splice_to'], 'generic_file_splice_read'),
  generic_file_splice_read: kernelFn({ self: 0.2, burst_us: 1, calls: { ext4_file_read_iter: 1 } }),
  copy_page_to_iter: kernelFn({ self: 1, burst_us: 1 }),
  ...kernelChain(
    ['direct_splice_actor', 'splice_from_pipe', '__splice_from_pipe', 'pipe_to_sendpage', 'sock_sendpage', 'kernel_sendpage',
      'inet_sendpage', 'tcp_sendpage', 'tcp_sendpage_locked'],
    'do_tcp_sendpages',
  ),
  do_tcp_sendpages: kernelFn({ self: 0.3, burst_us: 2, calls: { tcp_push: 0.7 } }),
};

export const webserver: ProgramSpec = program(
  'nginx',
  '_start',
  startup(BIN),
  worker,
  epollWait('epoll_wait', 0.5, 25),
  syscall('accept4', 'accept4', { calls: { __sys_accept4: 1 } }),
  {
    __sys_accept4: kernelFn({ calls: { do_accept: 1 } }),
    do_accept: kernelFn({ self: 0.2, burst_us: 2, calls: { inet_accept: 0.5, alloc_file_pseudo: 0.3 } }),
    inet_accept: kernelThrough('inet_csk_accept'),
    inet_csk_accept: kernelFn({ self: 1, burst_us: 2 }),
    alloc_file_pseudo: kernelFn({ calls: { alloc_empty_file: 1 } }),
  },
  syscall('recvfrom', 'recv', { calls: { __sys_recvfrom: 1 } }),
  { __sys_recvfrom: kernelFn({ calls: { sock_recvmsg: 1 } }) },
  tcpRecvmsg(1),
  syscall('writev', 'writev', { calls: { do_writev: 1 } }),
  kernelChain(['do_writev', 'vfs_writev', 'do_iter_readv_writev', 'sock_write_iter', 'sock_sendmsg'], 'tcp_sendmsg'),
  tcpSendmsg(1),
  syscall('sendfile64', 'sendfile64', { calls: { do_sendfile: 1 } }),
  sendfile,
  ext4Read(),
  tcpXmit(),
  syscall('openat', '__libc_open64', { calls: { do_sys_openat2: 1 } }),
  openat(),
  syscall('write', '__libc_write', { calls: { ksys_write: 1 } }),
  ext4Write(0.6),
);
