import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { importX } from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';

/**
 * The stages of hooks/, in the order a sync passes through them
 * (docs/architecture.md). A stage imports only from the stages before it, and
 * the entry points (hooks/*.ts) from any: so no circle can form between two
 * folders, not even through types, which import-x/no-cycle does not follow.
 */
const HOOK_STAGES = [
  'wire',
  'k8s',
  'routers',
  'spec',
  'steps',
  'observed',
  'machine',
  'traffic',
  'status',
  'render',
];
const stageOrder = HOOK_STAGES.map((stage, i) => ({
  target: `./hooks/${stage}`,
  from: [...HOOK_STAGES.slice(i + 1).map((later) => `./hooks/${later}/**`), './hooks/*.ts'],
  message: `hooks/${stage}/ comes before this in the pipeline (docs/architecture.md): it may not import it`,
}));

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
    // No import circle anywhere (docs/architecture.md): each folder of hooks/ is a stage that
    // imports only the stages before it, and the same holds file by file everywhere else.
    // Type-only imports count too: a circle through types is still one a reader has to follow.
    plugins: { 'import-x': importX },
    settings: {
      'import-x/extensions': ['.ts', '.js', '.mjs'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      // Resolves `./x.js` to `./x.ts` as TypeScript's nodenext does.
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: 'tsconfig.json' })],
    },
    rules: {
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
    },
  },
  {
    files: ['hooks/**/*.ts'],
    rules: {
      'import-x/no-restricted-paths': ['error', { zones: stageOrder }],
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
