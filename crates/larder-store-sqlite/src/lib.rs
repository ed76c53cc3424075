//! larder-store-sqlite
