DROP INDEX chat_message_index_search;
ALTER TABLE chat_message_index DROP COLUMN search_vector;
ALTER TABLE chat_message_index DROP COLUMN content;
