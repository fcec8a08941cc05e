/**
 * Kernel paths the built-in programs share, with the names a 6.1 x86_64
 * kernel shows (arch-frames.ts renames them for arm64). Each returns the
 * functions of the path; the caller calls its top by key.
 */
import type { FnOptions, Functions } from './build';
import { COPY_RATES, LIBC, faultLeaf, kernelChain, kernelFn, kernelThrough, userFn } from './build';

/** Key of the path into syscall `sys`: what its libc wrapper calls. */
const entryKey = (sys: string): string => `entry_SYSCALL_64_after_hwframe [${sys}]`;

/**
 * A syscall made through libc: `wrapper` (libc.so.6) → entry_SYSCALL_64_after_hwframe
 * → do_syscall_64 → __x64_sys_<sys> (`handler`). The entry frames are keyed
 * per syscall: the walk has no memory of the path above, so one shared
 * do_syscall_64 would let a read() continue into write().
 */
export function syscall(sys: string, wrapper: string, handler: FnOptions): Functions {
  const dispatch = `do_syscall_64 [${sys}]`;
  const handlerKey = `__x64_sys_${sys}`;
  return {
    // The few user instructions around the syscall instruction.
    [wrapper]: userFn(LIBC, { self: 0.03, burst_us: 0.6, calls: { [entryKey(sys)]: 1 } }),
    [entryKey(sys)]: kernelFn({ symbol: 'entry_SYSCALL_64_after_hwframe', calls: { [dispatch]: 1 } }),
    // Entry and exit work (syscall_enter_from_user_mode, exit_to_user_mode) runs as do_syscall_64.
    [dispatch]: kernelFn({ symbol: 'do_syscall_64', self: 0.04, burst_us: 0.8, calls: { [handlerKey]: 1 } }),
    [handlerKey]: kernelFn(handler),
  };
}

/**
 * Blocking: schedule() switches away and the task sleeps `sleep_us` on
 * average. Keyed by `tag` so that each way of blocking sleeps its own time.
 */
export function block(tag: string, sleep_us: number): Functions {
  return {
    [`schedule [${tag}]`]: kernelFn({ symbol: 'schedule', calls: { [`__schedule [${tag}]`]: 1 } }),
    [`__schedule [${tag}]`]: kernelFn({ symbol: '__schedule', self: 1, burst_us: 1.5, sleep_us }),
  };
}

/** The key to call for block(tag). */
export const blockKey = (tag: string): string => `schedule [${tag}]`;

/** A user page fault (call `asm_exc_page_fault`): new anonymous pages, file pages, copy-on-write. */
export function pageFault(): Functions {
  return {
    asm_exc_page_fault: kernelThrough('exc_page_fault'),
    exc_page_fault: kernelThrough('do_user_addr_fault'),
    do_user_addr_fault: kernelFn({ self: 0.08, burst_us: 0.5, faults_per_ms: 2000, calls: { handle_mm_fault: 1, lock_mm_and_find_vma: 0.08 } }),
    lock_mm_and_find_vma: faultLeaf(0.4),
    handle_mm_fault: kernelThrough('__handle_mm_fault'),
    __handle_mm_fault: kernelThrough('handle_pte_fault'),
    handle_pte_fault: kernelFn({ calls: { do_anonymous_page: 6, do_fault: 3, do_wp_page: 1 } }),
    do_anonymous_page: kernelFn({
      self: 0.15, burst_us: 0.8, faults_per_ms: 1000 / 0.8,
      calls: { vma_alloc_folio: 1, __mem_cgroup_charge: 0.15, page_add_new_anon_rmap: 0.1 },
    }),
    ...kernelChain(['vma_alloc_folio', '__folio_alloc', '__alloc_pages'], 'get_page_from_freelist'),
    get_page_from_freelist: kernelFn({ self: 0.3, burst_us: 0.8, faults_per_ms: 1000 / 0.8, calls: { clear_page_erms: 1 } }),
    clear_page_erms: faultLeaf(1.5, COPY_RATES),
    __mem_cgroup_charge: faultLeaf(0.6),
    page_add_new_anon_rmap: faultLeaf(0.4),
    ...kernelChain(['do_fault', 'do_read_fault'], 'filemap_map_pages'),
    filemap_map_pages: kernelFn({ self: 0.6, burst_us: 2, faults_per_ms: 500, calls: { next_uptodate_page: 0.4 } }),
    next_uptodate_page: faultLeaf(0.6, { cache_miss: 0.35 }),
    do_wp_page: kernelThrough('wp_page_copy'),
    wp_page_copy: kernelFn({ self: 0.3, burst_us: 0.8, faults_per_ms: 1000 / 0.8, calls: { copy_page: 1 } }),
    copy_page: faultLeaf(1.5, COPY_RATES),
  };
}

/**
 * Reading a cached ext4 file (call ext4_file_read_iter). The program defines
 * copy_page_to_iter: it copies to user memory for read() and only passes page
 * references for sendfile().
 */
export function ext4Read(): Functions {
  return {
    ...kernelChain(['ext4_file_read_iter', 'generic_file_read_iter'], 'filemap_read'),
    filemap_read: kernelFn({
      self: 0.12, burst_us: 1,
      calls: { filemap_get_pages: 0.35, copy_page_to_iter: 0.5, touch_atime: 0.03 },
    }),
    filemap_get_pages: kernelThrough('filemap_get_read_batch'),
    filemap_get_read_batch: kernelFn({ self: 1, burst_us: 1.2, rates: { cache_refs: 0.03, cache_miss: 0.3 } }),
    touch_atime: kernelThrough('atime_needs_update'),
    atime_needs_update: kernelFn({ self: 1, burst_us: 0.4 }),
  };
}

/** read() and pread() of a file: vfs_read, then ext4Read(). */
export function vfsRead(): Functions {
  return { vfs_read: kernelFn({ self: 0.05, burst_us: 0.6, calls: { ext4_file_read_iter: 1 } }) };
}

/** copy_page_to_iter into user memory; `copy_us` is the mean copy, by the size of a read. */
export function copyToUser(copy_us: number): Functions {
  return {
    copy_page_to_iter: kernelFn({ self: 0.05, burst_us: 0.4, calls: { _copy_to_iter: 1 } }),
    _copy_to_iter: kernelFn({ self: 1, burst_us: copy_us, rates: COPY_RATES }),
  };
}

/** Buffered write to an ext4 file through the page cache (call ksys_write). */
export function ext4Write(copy_us: number): Functions {
  return {
    ksys_write: kernelThrough('vfs_write'),
    vfs_write: kernelFn({ self: 0.05, burst_us: 0.6, calls: { ext4_buffered_write_iter: 1 } }),
    ext4_buffered_write_iter: kernelFn({ self: 0.05, burst_us: 0.6, calls: { generic_perform_write: 1, file_modified: 0.05 } }),
    file_modified: kernelThrough('inode_needs_update_time'),
    inode_needs_update_time: kernelFn({ self: 1, burst_us: 0.6 }),
    generic_perform_write: kernelFn({
      self: 0.1, burst_us: 0.8,
      calls: { copy_page_from_iter_atomic: 0.45, ext4_da_write_begin: 0.25, ext4_da_write_end: 0.2, balance_dirty_pages_ratelimited_flags: 0.03 },
    }),
    copy_page_from_iter_atomic: kernelFn({ self: 1, burst_us: copy_us, rates: COPY_RATES }),
    ext4_da_write_begin: kernelFn({ self: 0.3, burst_us: 1, calls: { __filemap_get_folio: 1 } }),
    __filemap_get_folio: kernelThrough('mapping_get_entry'),
    mapping_get_entry: kernelFn({ self: 1, burst_us: 0.8, rates: { cache_miss: 0.3 } }),
    ...kernelChain(['ext4_da_write_end', 'block_write_end', '__block_commit_write'], 'mark_buffer_dirty'),
    mark_buffer_dirty: kernelFn({ self: 1, burst_us: 0.6 }),
    balance_dirty_pages_ratelimited_flags: kernelFn({ self: 1, burst_us: 0.6 }),
  };
}

/** write() to a pipe, such as stdout piped to a log (call ksys_write). */
export function pipeWrite(): Functions {
  return {
    ksys_write: kernelThrough('vfs_write'),
    vfs_write: kernelFn({ self: 0.05, burst_us: 0.6, calls: { pipe_write: 1 } }),
    pipe_write: kernelFn({ self: 0.3, burst_us: 1, calls: { copy_page_from_iter: 0.4, __wake_up_common_lock: 0.3 } }),
    copy_page_from_iter: kernelThrough('_copy_from_iter'),
    _copy_from_iter: kernelFn({ self: 1, burst_us: 0.6, rates: COPY_RATES }),
    ...kernelChain(['__wake_up_common_lock', '__wake_up_common', 'autoremove_wake_function', 'default_wake_function'], 'try_to_wake_up'),
    try_to_wake_up: kernelFn({ self: 1, burst_us: 1.6 }),
  };
}

/** openat() of a file by path (the syscall's handler calls do_sys_openat2). */
export function openat(): Functions {
  return {
    do_sys_openat2: kernelFn({ calls: { do_filp_open: 1, getname: 0.1, get_unused_fd_flags: 0.05 } }),
    ...kernelChain(['getname', 'getname_flags'], 'strncpy_from_user'),
    strncpy_from_user: kernelFn({ self: 1, burst_us: 0.4 }),
    get_unused_fd_flags: kernelThrough('alloc_fd'),
    alloc_fd: kernelFn({ self: 1, burst_us: 0.4 }),
    do_filp_open: kernelThrough('path_openat'),
    path_openat: kernelFn({ self: 0.1, burst_us: 1, calls: { link_path_walk: 0.45, do_open: 0.3, alloc_empty_file: 0.15 } }),
    link_path_walk: kernelFn({ self: 0.3, burst_us: 1, calls: { walk_component: 0.7 } }),
    ...kernelChain(['walk_component', 'lookup_fast'], '__d_lookup_rcu'),
    __d_lookup_rcu: kernelFn({ self: 1, burst_us: 0.8, rates: { cache_miss: 0.3 } }),
    ...kernelChain(['do_open', 'vfs_open', 'do_dentry_open'], 'ext4_file_open'),
    ext4_file_open: kernelFn({ self: 1, burst_us: 0.8 }),
    alloc_empty_file: kernelThrough('kmem_cache_alloc'),
    kmem_cache_alloc: kernelFn({ self: 1, burst_us: 0.6 }),
  };
}

/**
 * epoll_wait(): with a fraction `sleeps` of the calls finding nothing ready
 * and blocking for `sleep_us` on average; the rest return ready events.
 */
export function epollWait(wrapper: string, sleeps: number, sleep_us: number): Functions {
  return {
    ...syscall('epoll_wait', wrapper, { calls: { do_epoll_wait: 1 } }),
    do_epoll_wait: kernelThrough('ep_poll'),
    ep_poll: kernelFn({ self: 0.05, burst_us: 0.4, calls: { schedule_hrtimeout_range: sleeps, ep_send_events: 1 - sleeps } }),
    ...kernelChain(['schedule_hrtimeout_range', 'schedule_hrtimeout_range_clock'], blockKey('epoll')),
    ...block('epoll', sleep_us),
    ep_send_events: kernelFn({ self: 1, burst_us: 1 }),
  };
}

/** Sending on a TCP socket (call tcp_sendmsg); segments go out through tcpXmit(). */
export function tcpSendmsg(copy_us: number): Functions {
  return {
    tcp_sendmsg: kernelThrough('tcp_sendmsg_locked'),
    tcp_sendmsg_locked: kernelFn({ self: 0.2, burst_us: 1.8, calls: { _copy_from_iter: 0.4, tcp_push: 0.4, tcp_stream_alloc_skb: 0.1 } }),
    _copy_from_iter: kernelFn({ self: 1, burst_us: copy_us, rates: COPY_RATES }),
    tcp_stream_alloc_skb: kernelThrough('__alloc_skb'),
    __alloc_skb: kernelFn({ self: 1, burst_us: 1.2 }),
  };
}

/** Receiving from a TCP socket (call sock_recvmsg); ACKs go out through tcpXmit(). */
export function tcpRecvmsg(copy_us: number): Functions {
  return {
    ...kernelChain(['sock_recvmsg', 'inet_recvmsg', 'tcp_recvmsg'], 'tcp_recvmsg_locked'),
    tcp_recvmsg_locked: kernelFn({
      self: 0.2, burst_us: 1.5,
      calls: { skb_copy_datagram_iter: 0.5, tcp_cleanup_rbuf: 0.2, tcp_rcv_space_adjust: 0.05 },
    }),
    skb_copy_datagram_iter: kernelThrough('__skb_datagram_iter'),
    __skb_datagram_iter: kernelFn({ self: 0.1, burst_us: 0.6, calls: { _copy_to_iter: 1 } }),
    _copy_to_iter: kernelFn({ self: 1, burst_us: copy_us, rates: COPY_RATES }),
    tcp_cleanup_rbuf: kernelFn({ self: 0.5, burst_us: 0.9, calls: { __tcp_send_ack: 0.5 } }),
    __tcp_send_ack: kernelThrough('__tcp_transmit_skb'),
    tcp_rcv_space_adjust: kernelFn({ self: 1, burst_us: 0.6 }),
  };
}

/**
 * From tcp_push to the virtio-net queue: vp_notify's MMIO write is what makes
 * a guest exit to the host. Softirqs run on the way out and receive ACKs.
 */
export function tcpXmit(): Functions {
  return {
    ...kernelChain(['tcp_push', '__tcp_push_pending_frames'], 'tcp_write_xmit'),
    tcp_write_xmit: kernelFn({ self: 0.2, burst_us: 1.5, calls: { __tcp_transmit_skb: 1 } }),
    __tcp_transmit_skb: kernelFn({ self: 0.2, burst_us: 1.5, calls: { ip_queue_xmit: 1 } }),
    ...kernelChain(['ip_queue_xmit', '__ip_queue_xmit', 'ip_local_out', 'ip_output', 'ip_finish_output'], 'ip_finish_output2'),
    ip_finish_output2: kernelFn({ self: 0.1, burst_us: 1.2, calls: { __dev_queue_xmit: 1, __local_bh_enable_ip: 0.3 } }),
    __dev_queue_xmit: kernelFn({ self: 0.1, burst_us: 1.2, calls: { dev_hard_start_xmit: 1 } }),
    dev_hard_start_xmit: kernelThrough('start_xmit'),
    start_xmit: kernelFn({ self: 0.3, burst_us: 1.5, calls: { virtqueue_add_outbuf: 0.3, virtqueue_notify: 0.4 } }),
    virtqueue_add_outbuf: kernelThrough('virtqueue_add_split'),
    virtqueue_add_split: kernelFn({ self: 1, burst_us: 1.2 }),
    virtqueue_notify: kernelThrough('vp_notify'),
    vp_notify: kernelFn({ self: 1, burst_us: 0.9 }),
    ...kernelChain(['__local_bh_enable_ip', 'do_softirq', '__do_softirq', 'net_rx_action', '__napi_poll'], 'virtnet_poll'),
    virtnet_poll: kernelFn({ self: 0.2, burst_us: 1.2, calls: { virtnet_receive: 1, free_old_xmit_skbs: 0.3 } }),
    free_old_xmit_skbs: kernelFn({ self: 1, burst_us: 1.5 }),
    ...kernelChain(
      ['virtnet_receive', 'receive_buf', 'napi_gro_receive', 'netif_receive_skb_list_internal', '__netif_receive_skb_list_core',
        'ip_list_rcv', 'ip_sublist_rcv', 'ip_local_deliver', 'ip_local_deliver_finish', 'ip_protocol_deliver_rcu', 'tcp_v4_rcv', 'tcp_v4_do_rcv'],
      'tcp_rcv_established',
    ),
    tcp_rcv_established: kernelFn({ self: 0.3, burst_us: 1.5, calls: { tcp_ack: 1 } }),
    tcp_ack: kernelFn({ self: 1, burst_us: 1.8 }),
  };
}
