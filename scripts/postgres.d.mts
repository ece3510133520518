/** Types of postgres.mjs, for the TypeScript tests that use it. */
export interface PostgresServer {
  readonly dir: string
  readonly port: number
  readonly url: (database?: string) => string
  readonly psql: (sqlText: string, database?: string) => string
  readonly createDatabase: (prefix?: string) => string
  readonly start: () => void
  readonly stop: () => void
  readonly dispose: () => void
}
export declare const postgresBin: () => string
export declare const freePort: () => Promise<number>
export declare const startPostgres: (options?: { readonly port?: number; readonly durable?: boolean; readonly settings?: ReadonlyArray<string> }) => Promise<PostgresServer>
