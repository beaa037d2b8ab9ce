//! guard-engine
