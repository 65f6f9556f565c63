/** The SQL engines Kindling speaks; chosen from `[database] connection`. */
export type DialectName = 'sqlite' | 'postgres' | 'mysql';
