import { Pool } from 'pg';

const pool = new Pool();

export async function ordersByUser(userIds: number[]) {
  const result = [];
  for (const id of userIds) {
    const { rows } = await pool.query('SELECT id, total_cents FROM orders WHERE user_id = $1', [id]);
    result.push(rows);
  }
  return result;
}

export async function allUsers() {
  const { rows } = await pool.query('SELECT * FROM users');
  return rows;
}
