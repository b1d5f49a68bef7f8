-- The compose twin of the native stack's database setup: the monolith's database and the new
-- service's, on one server as in the native stack (in production they would be two servers).
CREATE DATABASE legacy;
CREATE DATABASE user_service;
-- The migration's control plane (stages, dead letters, verify runs), shared by the proxy and cdc.
CREATE DATABASE strangler;
