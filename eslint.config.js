// ESLint flat config (issue 13): typescript-eslint's recommended rules over the TypeScript sources,
// tests, scripts, packages and examples. `npm run lint` runs it; `npm test` runs lint first.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: ['**/node_modules/**', '**/dist/**', '.tmp/**', 'data/**', 'coverage/**', 'packages/*/dist/**'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        URL: 'readonly',
        URLSearchParams: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        setImmediate: 'readonly',
        fetch: 'readonly',
        AbortController: 'readonly',
        AbortSignal: 'readonly',
        TextEncoder: 'readonly',
        TextDecoder: 'readonly',
        structuredClone: 'readonly',
        performance: 'readonly',
        queueMicrotask: 'readonly',
        crypto: 'readonly',
        Headers: 'readonly',
        Response: 'readonly',
        Request: 'readonly',
        FormData: 'readonly',
        Blob: 'readonly',
        document: 'readonly',
        window: 'readonly',
        navigator: 'readonly',
      },
    },
    rules: {
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      'max-len': [
        'error',
        { code: 120, ignoreStrings: true, ignoreTemplateLiterals: true, ignoreUrls: true, ignoreRegExpLiterals: true },
      ],
      // `Kysely<any>` is Kysely's own idiom for schema-agnostic code (migrations, precompiled statements);
      // what issue 13 forbids is the cast that switches type checking off: `x as any`.
      '@typescript-eslint/no-explicit-any': 'off',
      'no-restricted-syntax': [
        'error',
        {
          selector: 'TSAsExpression > TSAnyKeyword',
          message: 'no `as any`: give the value its real type (or `unknown` and narrow it)',
        },
        {
          selector: 'TSAsExpression > TSArrayType > TSAnyKeyword',
          message: 'no `as any[]`: give the value its real type',
        },
      ],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
    },
  },
);
