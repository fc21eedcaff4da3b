/**
 * Placeholder: this stage does not exist yet.
 *
 * @module
 */
console.error("error: the 'grant-sql' task does not exist yet (see the open issues)");
Deno.exit(2);
