// Lint rules: typescript-eslint's recommended set over all our sources.
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["node_modules/", "src/proto/gen/", "bench/.work/"] },
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
);
