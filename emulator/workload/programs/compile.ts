/**
 * compile: the C compiler proper (GCC's cc1) on one translation unit after
 * another. Mostly branchy user code — lexing and parsing, then optimisation
 * passes, then assembly output — with the kernel time a compiler really has:
 * reading headers (openat + read from the page cache), page faults on fresh
 * GC heap, mmap for more of it, writing the .s file, and tearing the address
 * space down at exit (a build runs one cc1 per file, so a steady share of its
 * time is process teardown).
 */
import type { ProgramSpec } from '../program';
import { BRANCHY_RATES, LIBC, MEMORY_BOUND_RATES, kernelChain, kernelFn, kernelThrough, program, startup, through, userFn } from './build';
import { copyToUser, ext4Read, ext4Write, openat, pageFault, syscall, vfsRead } from './kernel';

const BIN = 'cc1';

/** Compiler code: `self` weight and mean burst in µs. */
const cc = (self: number, burst_us: number, calls: Record<string, number> = {}) =>
  userFn(BIN, { self, burst_us, rates: BRANCHY_RATES, calls });

const parser = {
  c_common_parse_file: through(BIN, 'c_parse_file'),
  c_parse_file: through(BIN, 'c_parser_translation_unit'),
  c_parser_translation_unit: through(BIN, 'c_parser_external_declaration'),
  c_parser_external_declaration: through(BIN, 'c_parser_declaration_or_fndef'),
  c_parser_declaration_or_fndef: cc(0.05, 2, {
    c_parser_compound_statement: 30, c_parser_peek_token: 30, c_parser_declspecs: 12, pushdecl: 5, finish_decl: 4,
  }),
  c_parser_compound_statement: through(BIN, 'c_parser_statement_after_labels'),
  c_parser_statement_after_labels: cc(0.1, 1.5, { c_parser_expression: 1, c_parser_peek_token: 0.5 }),
  c_parser_expression: through(BIN, 'c_parser_binary_expression'),
  c_parser_binary_expression: cc(0.3, 2, { c_parser_postfix_expression: 1, ggc_internal_alloc: 0.3 }),
  c_parser_postfix_expression: cc(0.4, 2, { c_parser_peek_token: 0.6, build_function_call_vec: 0.2, ggc_internal_alloc: 0.5 }),
  build_function_call_vec: cc(1, 2.5, { ggc_internal_alloc: 0.5 }),
  c_parser_declspecs: cc(1, 2, { lookup_name: 0.5, ggc_internal_alloc: 0.4 }),
  lookup_name: cc(1, 1),
  pushdecl: cc(1, 1.5, { ggc_internal_alloc: 0.6 }),
  finish_decl: cc(1, 2.5, { ggc_internal_alloc: 0.5 }),
  // The preprocessor: tokens, identifiers, macros and #include.
  c_parser_peek_token: through(BIN, 'c_lex_one_token'),
  c_lex_one_token: through(BIN, 'c_lex_with_flags'),
  c_lex_with_flags: through(BIN, 'cpp_get_token_1'),
  cpp_get_token_1: cc(0.15, 1.5, { _cpp_lex_token: 0.6, enter_macro_context: 0.25, _cpp_handle_directive: 0.3 }),
  _cpp_lex_token: through(BIN, '_cpp_lex_direct'),
  _cpp_lex_direct: cc(1, 2, { lex_identifier: 0.6, _cpp_clean_line: 0.2 }),
  lex_identifier: cc(0.3, 1, { ht_lookup_with_hash: 1 }),
  ht_lookup_with_hash: userFn(BIN, { self: 1, burst_us: 2, rates: { ...BRANCHY_RATES, cache_refs: 0.03, cache_miss: 0.25 } }),
  _cpp_clean_line: cc(1, 1.5),
  enter_macro_context: cc(0.6, 2, { _cpp_push_token_context: 0.4 }),
  _cpp_push_token_context: cc(1, 0.5),
  _cpp_handle_directive: cc(0.2, 1, { do_include: 0.5, do_define: 0.5 }),
  do_define: through(BIN, '_cpp_create_definition'),
  _cpp_create_definition: cc(1, 2, { ggc_internal_alloc: 0.5 }),
  do_include: through(BIN, '_cpp_stack_include'),
  _cpp_stack_include: cc(0.1, 1, { _cpp_find_file: 0.5, _cpp_stack_file: 0.5 }),
  _cpp_find_file: cc(0.2, 1, { find_file_in_dir: 1 }),
  find_file_in_dir: through(BIN, 'open_file'),
  open_file: through(BIN, '__libc_open64'),
  _cpp_stack_file: cc(0.2, 1, { read_file: 1 }),
  read_file: through(BIN, 'read_file_guts'),
  read_file_guts: cc(0.2, 1, { __libc_read: 1 }),
};

const optimizer = {
  'symbol_table::finalize_compilation_unit': through(BIN, 'symbol_table::compile'),
  'symbol_table::compile': cc(0.02, 2.5, { 'symbol_table::expand_all_functions': 80, ipa_passes: 15 }),
  ipa_passes: through(BIN, 'execute_ipa_pass_list'),
  execute_ipa_pass_list: through(BIN, 'inline_small_functions'),
  inline_small_functions: cc(0.3, 3, { edge_badness: 0.4, do_estimate_edge_size: 0.3, xmalloc: 0.2 }),
  edge_badness: cc(1, 1.5),
  do_estimate_edge_size: cc(1, 2),
  'symbol_table::expand_all_functions': through(BIN, 'cgraph_node::expand'),
  'cgraph_node::expand': through(BIN, 'execute_pass_list'),
  execute_pass_list: through(BIN, 'execute_pass_list_1'),
  execute_pass_list_1: through(BIN, 'execute_one_pass'),
  execute_one_pass: cc(0.05, 1, {
    expand_gimple_basic_block: 12, do_ssa_ccp: 8, perform_tree_ssa_dce: 5, df_analyze: 10, ira: 14, lra: 10,
    schedule_insns: 6, cleanup_cfg: 5, rest_of_handle_final: 8,
  }),
  expand_gimple_basic_block: cc(0.4, 3, { expand_expr_real_1: 0.5, ggc_internal_alloc: 0.5 }),
  expand_expr_real_1: cc(1, 2.5, { ggc_internal_alloc: 0.5 }),
  do_ssa_ccp: cc(0.3, 2.5, { ccp_visit_stmt: 0.5, 'substitute_and_fold_engine::substitute_and_fold': 0.3 }),
  ccp_visit_stmt: cc(1, 2, { ggc_internal_alloc: 0.3 }),
  'substitute_and_fold_engine::substitute_and_fold': cc(1, 2.5),
  perform_tree_ssa_dce: cc(1, 2.5),
  df_analyze: through(BIN, 'df_analyze_1'),
  df_analyze_1: cc(0.2, 2, { df_worklist_dataflow: 1 }),
  df_worklist_dataflow: cc(0.5, 3, { bitmap_ior_into: 0.5, xmalloc: 0.3 }),
  bitmap_ior_into: userFn(BIN, { self: 1, burst_us: 3, rates: { ...BRANCHY_RATES, ipc: 1.1, cache_refs: 0.03, cache_miss: 0.2 } }),
  ira: cc(0.2, 2.5, { ira_build: 0.4, ira_color: 0.5 }),
  ira_build: cc(1, 3, { xmalloc: 0.6 }),
  ira_color: through(BIN, 'color_pass'),
  color_pass: cc(0.5, 3, { assign_hard_reg: 0.5 }),
  assign_hard_reg: cc(1, 2.5),
  lra: cc(0.2, 2.5, { lra_constraints: 0.5, lra_assign: 0.3 }),
  lra_constraints: through(BIN, 'process_alt_operands'),
  process_alt_operands: cc(1, 3, { xmalloc: 0.2 }),
  lra_assign: cc(1, 2.5),
  schedule_insns: cc(1, 4, { xmalloc: 0.5 }),
  cleanup_cfg: cc(1, 2),
  // Assembly output: stdio buffers it and writes the .s file in 4 KiB pieces.
  rest_of_handle_final: through(BIN, 'final'),
  final: through(BIN, 'final_scan_insn'),
  final_scan_insn: cc(0.5, 2, { output_asm_insn: 0.5 }),
  output_asm_insn: cc(0.6, 1.5, { fputs: 0.4 }),
  fputs: userFn(LIBC, { self: 0.5, burst_us: 0.5, calls: { _IO_new_file_xsputn: 1 } }),
  _IO_new_file_xsputn: userFn(LIBC, { self: 1, burst_us: 0.5, calls: { _IO_new_file_overflow: 0.15 } }),
  _IO_new_file_overflow: through(LIBC, '_IO_new_do_write'),
  _IO_new_do_write: through(LIBC, 'new_do_write'),
  new_do_write: through(LIBC, '_IO_new_file_write'),
  _IO_new_file_write: through(LIBC, '__libc_write'),
};

/** GCC's garbage-collected heap: fresh pages fault in; more come from mmap; collections walk it all. */
const heap = {
  ggc_internal_alloc: userFn(BIN, { self: 1, burst_us: 1, rates: BRANCHY_RATES, calls: { asm_exc_page_fault: 2.5, alloc_page: 0.05 } }),
  alloc_page: userFn(BIN, { self: 0.5, burst_us: 1, calls: { __mmap: 0.5 } }),
  ggc_collect: userFn(BIN, { calls: { ggc_mark_roots: 0.7, sweep_pages: 0.2, 'release_pages [ggc]': 0.1 } }),
  // GCC's own release_pages gives free GC pages back with munmap.
  'release_pages [ggc]': userFn(BIN, { symbol: 'release_pages', self: 0.3, burst_us: 2, calls: { munmap: 1 } }),
  ggc_mark_roots: userFn(BIN, { self: 0.2, burst_us: 10, rates: MEMORY_BOUND_RATES, calls: { gt_ggc_mx_lang_tree_node: 1 } }),
  gt_ggc_mx_lang_tree_node: userFn(BIN, { self: 1, burst_us: 15, rates: MEMORY_BOUND_RATES }),
  sweep_pages: userFn(BIN, { self: 1, burst_us: 8, rates: { ...MEMORY_BOUND_RATES, ipc: 0.8 } }),
  // Passes keep their bitmaps and work lists on the malloc heap.
  xmalloc: through(BIN, 'malloc'),
  malloc: userFn(LIBC, { self: 0.3, burst_us: 0.3, calls: { _int_malloc: 1 } }),
  _int_malloc: userFn(LIBC, { self: 1, burst_us: 0.6, rates: { cache_miss: 0.2 }, calls: { asm_exc_page_fault: 1.5, sysmalloc: 0.02 } }),
  sysmalloc: userFn(LIBC, { self: 0.5, burst_us: 0.5, calls: { __brk: 0.5 } }),
};

const mmap = {
  ksys_mmap_pgoff: kernelFn({ calls: { vm_mmap_pgoff: 1 } }),
  ...kernelChain(['vm_mmap_pgoff', 'do_mmap'], 'mmap_region'),
  mmap_region: kernelFn({ self: 0.6, burst_us: 0.8, calls: { vm_area_alloc: 0.3 } }),
  vm_area_alloc: kernelFn({ calls: { kmem_cache_alloc: 1 } }),
};

/** exit(): the kernel frees the whole address space. */
const exit = {
  exit: through(LIBC, '__run_exit_handlers'),
  __run_exit_handlers: userFn(LIBC, { self: 0.1, burst_us: 2, calls: { _exit: 1 } }),
  do_group_exit: kernelFn({ calls: { do_exit: 1 } }),
  do_exit: kernelFn({ self: 0.1, burst_us: 1, calls: { mmput: 0.8, exit_files: 0.1 } }),
  mmput: kernelThrough('exit_mmap'),
  exit_mmap: kernelFn({ self: 0.1, burst_us: 1, calls: { unmap_vmas: 0.6, free_pgtables: 0.2, remove_vma: 0.1 } }),
  ...kernelChain(['unmap_vmas', 'unmap_single_vma', 'unmap_page_range', 'zap_pmd_range.isra.0'], 'zap_pte_range'),
  zap_pte_range: kernelFn({ self: 0.6, burst_us: 3, calls: { tlb_flush_mmu: 0.4 } }),
  ...kernelChain(['tlb_flush_mmu', 'free_pages_and_swap_cache'], 'release_pages'),
  release_pages: kernelFn({ self: 1, burst_us: 4, rates: { cache_miss: 0.3 } }),
  free_pgtables: kernelFn({ self: 1, burst_us: 2 }),
  remove_vma: kernelThrough('kmem_cache_free'),
  kmem_cache_free: kernelFn({ self: 1, burst_us: 0.3 }),
  ...kernelChain(['exit_files', 'put_files_struct'], 'filp_close'),
  filp_close: kernelFn({ self: 1, burst_us: 0.5 }),
};

export const compile: ProgramSpec = program(
  'cc1',
  '_start',
  startup(BIN),
  {
    main: userFn(BIN, { calls: { 'toplev::main': 98, exit: 2 } }),
    'toplev::main': through(BIN, 'do_compile'),
    do_compile: through(BIN, 'compile_file'),
    compile_file: userFn(BIN, {
      calls: { c_common_parse_file: 38, 'symbol_table::finalize_compilation_unit': 55, ggc_collect: 2, __memset_avx2_unaligned_erms: 3 },
    }),
    __memset_avx2_unaligned_erms: userFn(LIBC, { self: 1, burst_us: 2, rates: { ipc: 2, branches: 0.02, cache_refs: 0.03 }, calls: { asm_exc_page_fault: 1 } }),
  },
  parser,
  optimizer,
  heap,
  exit,
  syscall('openat', '__libc_open64', { calls: { do_sys_openat2: 1 } }),
  openat(),
  syscall('read', '__libc_read', { calls: { ksys_read: 1 } }),
  { ksys_read: kernelThrough('vfs_read') },
  vfsRead(),
  ext4Read(),
  // Headers are tens of KiB: each read copies a lot.
  copyToUser(3),
  syscall('write', '__libc_write', { calls: { ksys_write: 1 } }),
  ext4Write(0.8),
  syscall('mmap', '__mmap', { calls: { ksys_mmap_pgoff: 1 } }),
  mmap,
  syscall('exit_group', '_exit', { calls: { do_group_exit: 1 } }),
  syscall('brk', '__brk', { calls: { do_brk_flags: 1 } }),
  syscall('munmap', 'munmap', { calls: { __vm_munmap: 1 } }),
  kernelChain(['__vm_munmap', 'do_mas_munmap', 'do_mas_align_munmap'], 'unmap_region'),
  { unmap_region: kernelFn({ self: 0.1, burst_us: 1, calls: { unmap_vmas: 0.8, free_pgtables: 0.2 } }) },
  { do_brk_flags: kernelFn({ self: 0.5, burst_us: 0.8, calls: { vm_area_alloc: 0.2 } }) },
  pageFault(),
);
