import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '.local/**', 'charts/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': ['error', { allow: ['error'] }],
      'no-restricted-syntax': [
        'error',
        {
          // FerretDB 1.23 holds a PostgreSQL connection for every statement of one update or
          // delete command until the command ends: a bulk larger than its pool hangs the server.
          selector: "CallExpression[callee.property.name='bulkWrite']",
          message: 'bulkWrite can hang FerretDB 1.x (one pooled connection per statement until the command ends); send the updates one by one (see docs/decisions/0003-aggregate-writes.md)',
        },
      ],
    },
  },
  {
    files: ['deploy/local/**', 'deploy/charts/**', 'test/bench/**', '**/test/fixtures/**'],
    rules: { 'no-console': 'off' },
  },
);
