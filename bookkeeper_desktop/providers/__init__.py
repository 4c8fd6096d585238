"""Talking to QuickBooks Online and Xero: configuration, the OAuth connect flow (loopback listener,
PKCE), tokens in the OS keychain with single-flight refresh, and the HTTP helper the API clients
use. No Qt here."""
