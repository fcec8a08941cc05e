/** Layer rules (docs/architecture.md). A violation is fixed in the code, never here. */
const NODE_OR_ELECTRON = '^(node:|electron$|fs|path|os|child_process|worker_threads|http|net|zlib|crypto|stream|url|util|ws$)';
module.exports = {
  forbidden: [
    { name: 'pure-layers-no-node', severity: 'error', comment: 'emulator/ and profile/ run in any process: no Node, DOM or Electron modules.',
      from: { path: '^(emulator|profile)/' }, to: { dependencyTypes: ['core'] } },
    { name: 'pure-layers-no-platform-packages', severity: 'error',
      from: { path: '^(emulator|profile)/' }, to: { path: NODE_OR_ELECTRON } },
    { name: 'pure-layers-no-ui', severity: 'error',
      from: { path: '^(emulator|profile)/' }, to: { path: 'node_modules/(vue|pinia|chart\\.js|@vue)/' } },
    { name: 'profile-is-the-bottom', severity: 'error', comment: 'profile/ imports no other layer.',
      from: { path: '^profile/' }, to: { path: '^(emulator|main|renderer)/' } },
    { name: 'emulator-only-profile', severity: 'error',
      from: { path: '^emulator/' }, to: { path: '^(main|renderer)/' } },
    { name: 'nothing-imports-renderer', severity: 'error',
      from: { pathNot: '^renderer/' }, to: { path: '^renderer/' } },
    { name: 'renderer-only-contract-types', severity: 'error', comment: 'renderer/ imports from main/ only the API contract, type-only.',
      from: { path: '^renderer/' }, to: { path: '^main/', pathNot: '^main/api/contract\\.ts$' } },
    { name: 'renderer-contract-type-only', severity: 'error',
      from: { path: '^renderer/' }, to: { path: '^main/api/contract\\.ts$', dependencyTypesNot: ['type-only'] } },
    { name: 'renderer-no-node', severity: 'error',
      from: { path: '^renderer/' }, to: { dependencyTypes: ['core'] } },
    { name: 'electron-only-in-app-and-preload', severity: 'error', comment: 'handlers serve IPC, the web host and tests alike.',
      from: { path: '^main/', pathNot: '^main/(app|preload)/' }, to: { path: '^electron$|node_modules/electron/' } },
    // Type-only cycles are declarations that refer to each other (struct pmu and
    // struct perf_event, as in perf_event.h); they vanish at run time.
    { name: 'no-circular', severity: 'error', from: {},
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } } },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.node.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.vue', '.js'] },
  },
};
