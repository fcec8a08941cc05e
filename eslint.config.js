// Lint for every layer. The layering itself is enforced twice: here (imports
// a layer may not make) and by dependency-cruiser in CI (.dependency-cruiser.cjs).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import vue from 'eslint-plugin-vue';
import globals from 'globals';

// A regex, not gitignore-style groups: a group 'os' would also forbid our own emulator/os/ folder.
const nodeBuiltins = '^(node:.*|fs|path|os|child_process|worker_threads|http|net|zlib|crypto|stream|url|util)(/.*)?$';

export default tseslint.config(
  { ignores: ['out/**', 'out-*/**', 'dist/**', 'node_modules/**', 'test-results/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...vue.configs['flat/recommended'],
  {
    files: ['**/*.vue'],
    languageOptions: { parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.vue'] } },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'vue/multi-word-component-names': 'off',
      'vue/max-attributes-per-line': 'off',
      'vue/singleline-html-element-content-newline': 'off',
      'vue/html-self-closing': 'off',
    },
  },
  {
    files: ['main/**/*.ts', 'test/**/*.ts', 'bin/**', '*.config.*', '.dependency-cruiser.cjs'],
    languageOptions: { globals: { ...globals.node } },
  },
  {
    files: ['renderer/**/*.{ts,vue}'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', {
        patterns: [
          { group: ['**/main/api/contract'], allowTypeImports: true, message: 'renderer/ may import only the types of the API contract from main/.' },
          { group: ['**/main/**', '!**/main/api/contract'], message: 'renderer/ may import only the API contract (types) from main/.' },
          { regex: nodeBuiltins, message: 'renderer/ is browser code: no Node or Electron.' },
          { group: ['electron'], message: 'renderer/ is browser code: no Node or Electron.' },
        ],
      }],
    },
  },
  {
    files: ['profile/**/*.ts', 'emulator/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { regex: nodeBuiltins, message: 'profile/ and emulator/ are pure TypeScript: no Node, DOM or Electron.' },
          { group: ['electron', 'vue', 'pinia', 'chart.js'], message: 'profile/ and emulator/ are pure TypeScript: no Node, DOM or Electron.' },
          { group: ['**/main/**', '**/renderer/**'], message: 'profile/ and emulator/ may not import main/ or renderer/.' },
        ],
      }],
    },
  },
  {
    files: ['profile/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { regex: nodeBuiltins, message: 'profile/ is pure TypeScript: no Node, DOM or Electron.' },
          { group: ['electron', 'vue', 'pinia', 'chart.js'], message: 'profile/ is pure TypeScript: no Node, DOM or Electron.' },
          { group: ['**/main/**', '**/renderer/**', '**/emulator/**'], message: 'profile/ may not import main/, renderer/ or emulator/.' },
        ],
      }],
    },
  },
);
