//! larder-web
