// typescript-eslint for the runtime, tests, scripts and benches; eslint-plugin-html for the
// editor scripts in nodes/**/*.html (browser globals, the editor's RED and jQuery).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import html from 'eslint-plugin-html';
import noOnlyTests from 'eslint-plugin-no-only-tests';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'firmware/', 'test-artifacts/', '.node-red/', '.data/'] },
  {
    files: ['**/*.ts'],
    extends: [js.configs.recommended, ...tseslint.configs.recommended],
    languageOptions: { globals: { ...globals.node } },
    plugins: { 'no-only-tests': noOnlyTests },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      // `const node = this` is the Node-RED idiom for handlers that outlive the constructor
      '@typescript-eslint/no-this-alias': ['error', { allowedNames: ['node'] }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-only-tests/no-only-tests': 'error',
    },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    extends: [js.configs.recommended],
    languageOptions: { globals: { ...globals.node }, sourceType: 'commonjs' },
  },
  {
    files: ['nodes/**/*.html'],
    plugins: { html },
    languageOptions: { globals: { ...globals.browser, RED: 'readonly', $: 'readonly', jQuery: 'readonly' }, sourceType: 'script' },
    rules: { ...js.configs.recommended.rules },
  },
);
