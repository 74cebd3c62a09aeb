"""The Developers page: API keys, how to call the API, the embed widget."""
