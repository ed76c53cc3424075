//! larder-app
