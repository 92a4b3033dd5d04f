import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.tap/**', 'test/integration/.cache/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['hooks/**/*.ts'],
    rules: {
      // hooks/ is the pure decision: time comes in as an argument, config as data.
      'no-restricted-properties': [
        'error',
        { object: 'Date', property: 'now', message: 'hooks/ takes `now` as an argument' },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'process', message: 'hooks/ must not read the environment' },
        { name: 'fetch', message: 'hooks/ does no I/O' },
      ],
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            'node:fs',
            'node:http',
            'node:net',
            'fs',
            'http',
            'net',
            '@kubernetes/client-node',
            'fastify',
            '../server/*',
          ],
        },
      ],
    },
  },
);
