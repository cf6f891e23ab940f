DROP TABLE presence_connections;
DROP TABLE server_processes;
DROP INDEX users_display_name_prefix;
DROP INDEX users_username_prefix;
DROP TABLE friendships;
DROP TABLE friend_requests;
