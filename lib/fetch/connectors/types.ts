/**
 * The interface every source connector implements (MySQL, PostgreSQL, DuckDB).
 *
 * @module
 */
import type { ParquetWriter, WriteResult } from "../parquet_writer.ts";
import type { SourceColumn, TablePlan } from "../plan.ts";

/** A table whose rows were read: `finish` writes its parquet file (atomically). */
export interface ReadTable {
  finish(path: string): Promise<WriteResult>;
  abort(): Promise<void>;
}

/** An open connection to one source URI. Close it with `await using` or `close()`. */
export interface Connector extends AsyncDisposable {
  readonly dialect: "mysql" | "postgres" | "duckdb";
  /**
   * The snapshot instant, UTC, `YYYY-MM-DDTHH:MM:SS`, and where it came from: a DuckDB source's
   * `main.snapshot_meta.as_of`, else the server's clock.
   */
  asOf(): Promise<{ asOf: string; source: string }>;
  /**
   * The columns of a table in server order, or null when the table does not exist. Throws a
   * `FetchError` with status `permission_denied` when it exists but cannot be read.
   */
  columns(namespace: string, table: string): Promise<SourceColumn[] | null>;
  /**
   * Reads a planned table's rows (`onRows` reports progress); the returned table writes its
   * parquet file when finished, which may overlap with reading the next table.
   */
  read(plan: TablePlan, writer: ParquetWriter, onRows: (rows: number) => void): Promise<ReadTable>;
  close(): Promise<void>;
  /**
   * Drops the connection at once (a statement that timed out): its pending statement fails and
   * the connector is unusable afterwards.
   */
  destroy(): void;
}
