DROP TABLE push_vapid_keys;
DROP TABLE push_pending;
DROP TABLE push_preferences;
DROP TABLE push_subscriptions;
