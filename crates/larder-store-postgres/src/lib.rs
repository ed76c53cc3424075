//! larder-store-postgres
