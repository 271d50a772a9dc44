import { Pool } from 'pg';
import postgres from 'postgres';

// One pool for the service; repositories import it from here.
export const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 20 });

// postgres.js for the batch jobs.
export const sql = postgres(process.env.DATABASE_URL ?? 'postgres://localhost/features');
