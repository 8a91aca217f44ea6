import tseslint from "typescript-eslint";

const BUILTINS = ["fs", "fs/promises", "path", "crypto", "os", "worker_threads", "child_process", "http", "net", "tls", "events", "url", "util", "stream", "readline", "assert", "assert/strict", "process", "zlib", "test", "timers", "timers/promises"];

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", ".civitas/**", "coverage/**"] },
  ...tseslint.configs.recommended,
  {
    files: ["**/*.ts"],
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
      "no-restricted-imports": ["error", { paths: BUILTINS.map((name) => ({ name, message: "Use the node: prefix for built-ins." })) }],
    },
  },
  {
    files: ["src/**/*.ts"],
    ignores: ["src/cli/**"],
    rules: { "no-console": "error" },
  },
  {
    // Execution must be a pure function of (state, block): no wall clock, no randomness.
    files: ["src/execution/**/*.ts", "src/modules/**/*.ts", "src/ledger/**/*.ts"],
    rules: {
      "no-restricted-properties": ["error",
        { object: "Date", property: "now", message: "Execution is deterministic: use the block time." },
        { object: "Math", property: "random", message: "Execution is deterministic: no randomness." }],
      "no-restricted-globals": ["error", { name: "setTimeout", message: "No timers in execution." }],
    },
  },
);
