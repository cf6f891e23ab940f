/** SQL that is true while the user `u` (a row alias) has at least one WebSocket open anywhere. */
export const IS_ONLINE_SQL = "EXISTS (SELECT 1 FROM presence_connections pc WHERE pc.user_id = u.id)";
