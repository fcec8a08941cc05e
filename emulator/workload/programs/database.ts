/**
 * database: a PostgreSQL backend answering index lookups. Memory-bound: the
 * B-tree descent, the buffer-mapping hash table and heap tuple visibility
 * checks chase pointers through shared buffers far larger than the cache,
 * so IPC is low and the cache-miss rate high. Buffer misses pread() from the
 * page cache; the backend sleeps in epoll_wait between queries and on a
 * futex when a lock is contended.
 */
import type { ProgramSpec } from '../program';
import { LIBC, MEMORY_BOUND_RATES, kernelFn, program, startup, through, userFn } from './build';
import { block, blockKey, copyToUser, epollWait, ext4Read, pageFault, syscall, tcpRecvmsg, tcpSendmsg, tcpXmit, vfsRead } from './kernel';

const BIN = 'postgres';

/** Pointer chasing through shared buffers and tuples. */
const chase = (self: number, burst_us: number, calls: Record<string, number> = {}) =>
  userFn(BIN, { self, burst_us, rates: MEMORY_BOUND_RATES, calls });
/** Executor and planner code: still cache-hungry, less so. */
const pg = (self: number, burst_us: number, calls: Record<string, number> = {}) =>
  userFn(BIN, { self, burst_us, rates: { ipc: 0.5, branches: 0.19, branch_miss: 0.03, cache_refs: 0.04, cache_miss: 0.3 }, calls });

const backend = {
  // Backends are forked by the postmaster, so their stacks start in it.
  main: through(BIN, 'PostmasterMain'),
  PostmasterMain: through(BIN, 'ServerLoop'),
  ServerLoop: through(BIN, 'BackendStartup'),
  BackendStartup: through(BIN, 'BackendRun'),
  BackendRun: through(BIN, 'PostgresMain'),
  PostgresMain: pg(0.02, 2, { ReadCommand: 0.2, exec_simple_query: 0.75, ReadyForQuery: 0.05 }),
  // Waiting for the next query.
  ReadCommand: through(BIN, 'SocketBackend'),
  SocketBackend: through(BIN, 'pq_getbyte'),
  pq_getbyte: through(BIN, 'pq_recvbuf'),
  pq_recvbuf: through(BIN, 'secure_read'),
  secure_read: pg(0.05, 1, { WaitEventSetWait: 0.5, __libc_recv: 0.5 }),
  WaitEventSetWait: through(BIN, 'WaitEventSetWaitBlock'),
  WaitEventSetWaitBlock: through(BIN, 'epoll_wait'),
  ReadyForQuery: through(BIN, 'pq_flush'),
  pq_flush: through(BIN, 'internal_flush'),
  internal_flush: through(BIN, 'secure_write'),
  secure_write: through(BIN, '__libc_send'),
  exec_simple_query: pg(0.03, 3, { pg_parse_query: 0.04, pg_analyze_and_rewrite_fixedparams: 0.03, pg_plan_queries: 0.06, PortalRun: 0.85 }),
  pg_parse_query: through(BIN, 'raw_parser'),
  raw_parser: through(BIN, 'base_yyparse'),
  base_yyparse: userFn(BIN, { self: 0.6, burst_us: 4, calls: { core_yylex: 0.4 } }),
  core_yylex: userFn(BIN, { self: 1, burst_us: 2 }),
  pg_analyze_and_rewrite_fixedparams: through(BIN, 'parse_analyze_fixedparams'),
  parse_analyze_fixedparams: through(BIN, 'transformStmt'),
  transformStmt: pg(1, 4, { SearchCatCache1: 0.3 }),
  pg_plan_queries: through(BIN, 'pg_plan_query'),
  pg_plan_query: through(BIN, 'planner'),
  planner: through(BIN, 'standard_planner'),
  standard_planner: through(BIN, 'subquery_planner'),
  subquery_planner: through(BIN, 'grouping_planner'),
  grouping_planner: through(BIN, 'query_planner'),
  query_planner: pg(0.3, 4, { make_one_rel: 0.4, get_relation_info: 0.3 }),
  make_one_rel: through(BIN, 'set_base_rel_pathlists'),
  set_base_rel_pathlists: through(BIN, 'create_index_paths'),
  create_index_paths: pg(1, 4),
  get_relation_info: pg(0.3, 3, { SearchCatCache1: 0.7 }),
  SearchCatCache1: through(BIN, 'SearchCatCacheInternal'),
  SearchCatCacheInternal: chase(1, 2),
  // Execution: an index scan fetching heap tuples.
  PortalRun: through(BIN, 'PortalRunSelect'),
  PortalRunSelect: through(BIN, 'standard_ExecutorRun'),
  standard_ExecutorRun: through(BIN, 'ExecutePlan'),
  ExecutePlan: pg(0.02, 2, { ExecScan: 0.85, printtup: 0.1 }),
  ExecScan: pg(0.05, 2, { IndexNext: 0.65, ExecQual: 0.1, ExecProject: 0.1, SeqNext: 0.15 }),
  ExecQual: through(BIN, 'ExecInterpExpr'),
  ExecProject: through(BIN, 'ExecInterpExpr'),
  ExecInterpExpr: pg(0.6, 2, { slot_getsomeattrs_int: 0.4 }),
  slot_getsomeattrs_int: through(BIN, 'tts_buffer_heap_getsomeattrs'),
  tts_buffer_heap_getsomeattrs: through(BIN, 'slot_deform_heap_tuple'),
  slot_deform_heap_tuple: chase(1, 2),
  printtup: pg(0.5, 2, { pq_sendcountedtext: 0.3, AllocSetAlloc: 0.1 }),
  pq_sendcountedtext: pg(1, 1),
  AllocSetAlloc: pg(1, 0.5, { asm_exc_page_fault: 0.03 }),
  IndexNext: through(BIN, 'index_getnext_slot'),
  index_getnext_slot: pg(0.05, 1, { index_getnext_tid: 0.5, index_fetch_heap: 0.5 }),
  index_getnext_tid: through(BIN, 'btgettuple'),
  btgettuple: pg(0.1, 1, { _bt_first: 0.6, _bt_next: 0.3 }),
  _bt_first: pg(0.05, 2, { _bt_search: 0.7, _bt_readpage: 0.3 }),
  _bt_search: chase(0.2, 3, { _bt_binsrch: 0.5, _bt_relandgetbuf: 0.3 }),
  _bt_binsrch: chase(0.4, 3, { _bt_compare: 0.6 }),
  _bt_compare: chase(1, 3, { btint4cmp: 0.1 }),
  btint4cmp: userFn(BIN, { self: 1, burst_us: 0.3 }),
  _bt_relandgetbuf: through(BIN, 'ReadBuffer_common'),
  _bt_next: through(BIN, '_bt_steppage'),
  _bt_steppage: chase(0.3, 2, { _bt_readpage: 0.7 }),
  _bt_readpage: chase(0.4, 3, { _bt_checkkeys: 0.6 }),
  _bt_checkkeys: chase(1, 2),
  index_fetch_heap: through(BIN, 'heapam_index_fetch_tuple'),
  heapam_index_fetch_tuple: pg(0.1, 1, { ReleaseAndReadBuffer: 0.35, heap_hot_search_buffer: 0.5, LWLockAcquire: 0.1 }),
  ReleaseAndReadBuffer: through(BIN, 'ReadBuffer_common'),
  heap_hot_search_buffer: chase(0.7, 3, { HeapTupleSatisfiesVisibility: 0.3 }),
  HeapTupleSatisfiesVisibility: chase(1, 2),
  SeqNext: through(BIN, 'heap_getnextslot'),
  heap_getnextslot: through(BIN, 'heapgettup_pagemode'),
  heapgettup_pagemode: chase(1, 5, { heapgetpage: 0.15 }),
  heapgetpage: pg(0.2, 2, { ReadBuffer_common: 0.5, HeapTupleSatisfiesVisibility: 0.3 }),
  // Shared buffers: a hash lookup, and on a miss a read from the page cache.
  ReadBuffer_common: pg(0.1, 1, { BufferAlloc: 0.6, smgrread: 0.08, LWLockAcquire: 0.1 }),
  BufferAlloc: pg(0.1, 1, { BufTableLookup: 0.5, PinBuffer: 0.3, StrategyGetBuffer: 0.05 }),
  BufTableLookup: through(BIN, 'hash_search_with_hash_value'),
  hash_search_with_hash_value: chase(1, 2),
  PinBuffer: chase(1, 1),
  StrategyGetBuffer: chase(1, 2),
  smgrread: through(BIN, 'mdread'),
  mdread: through(BIN, 'FileRead'),
  FileRead: through(BIN, 'pg_pread'),
  pg_pread: through(BIN, '__libc_pread64'),
  // Contended locks sleep on a semaphore, which is a futex.
  LWLockAcquire: pg(1, 0.5, { PGSemaphoreLock: 0.02 }),
  PGSemaphoreLock: through(BIN, 'sem_wait'),
  sem_wait: through(LIBC, '__new_sem_wait_slow64.constprop.0'),
  '__new_sem_wait_slow64.constprop.0': through(LIBC, '__futex_abstimed_wait_common'),
};

export const database: ProgramSpec = program(
  'postgres',
  '_start',
  startup(BIN),
  backend,
  epollWait('epoll_wait', 0.9, 40),
  syscall('recvfrom', '__libc_recv', { calls: { __sys_recvfrom: 1 } }),
  { __sys_recvfrom: kernelFn({ calls: { sock_recvmsg: 1 } }) },
  // 8 KiB pages from the page cache and small query packets: one copy size serves both.
  tcpRecvmsg(0.8),
  syscall('sendto', '__libc_send', { calls: { __sys_sendto: 1 } }),
  { __sys_sendto: kernelFn({ calls: { sock_sendmsg: 1 } }), sock_sendmsg: kernelFn({ calls: { tcp_sendmsg: 1 } }) },
  tcpSendmsg(0.4),
  tcpXmit(),
  syscall('pread64', '__libc_pread64', { calls: { vfs_read: 1 } }),
  vfsRead(),
  ext4Read(),
  copyToUser(0.8),
  syscall('futex', '__futex_abstimed_wait_common', { calls: { do_futex: 1 } }),
  {
    do_futex: kernelFn({ calls: { futex_wait: 1 } }),
    futex_wait: kernelFn({ self: 0.1, burst_us: 0.5, calls: { futex_wait_queue: 1 } }),
    futex_wait_queue: kernelFn({ calls: { [blockKey('futex')]: 1 } }),
  },
  block('futex', 30),
  pageFault(),
);
