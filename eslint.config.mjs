// ESLint flat config: typescript-eslint's type-aware rules over every TypeScript source.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'dist-test/**',
      'node_modules/**',
      'test-output/**',
      '.e2e/**',
      '.scratch/**',
      '.robustness-lens/**',
      '.package/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      // Prettier lays code out at 120 columns; this catches what it cannot break (strings, comments, regular
      // expressions). A long pattern is written as a list of alternatives or as consecutive literal pieces
      // (test/helpers/regexp.ts). Only a URL, which cannot be broken, may run longer.
      'max-len': ['error', { code: 120, ignoreUrls: true }],
      'no-restricted-imports': 'off',
    },
  },
  {
    // core is pure: no editor, no compute back end, no sibling layers.
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['vscode', 'vscode-*'], message: 'src/core must not depend on the editor.' },
            { group: ['@tensorflow/*', 'onnxruntime-*'], message: 'src/core must not depend on a compute back end.' },
            {
              group: ['**/engine/**', '**/server/**', '**/extension/**', '**/cli/**', '**/webview/**'],
              message: 'Imports point into core, never out of it.',
            },
          ],
        },
      ],
    },
  },

  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: { ...globals.node }, sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['**/*.mjs'],
    languageOptions: { sourceType: 'module' },
  },
);
