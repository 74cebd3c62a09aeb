"""The /account page: password change and sign-out everywhere."""
