//! The plain credentials a NATS URL carries (`user:password@` or
//! `token@`), as both kinds of connection send them: the publisher's own
//! `CONNECT` and async-nats's, which does not read them from the URL.

/// A URL's user and password, or its token, percent-decoded. Its
/// `Debug` shows neither.
#[derive(Clone, Default)]
pub(crate) struct UrlLogin {
    pub(crate) user: Option<String>,
    pub(crate) pass: Option<String>,
    pub(crate) token: Option<String>,
}

impl std::fmt::Debug for UrlLogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UrlLogin").finish_non_exhaustive()
    }
}

impl UrlLogin {
    /// Whether the URL carries no user, password or token.
    pub(crate) fn is_empty(&self) -> bool {
        self.user.is_none() && self.pass.is_none() && self.token.is_none()
    }

    /// async-nats's `options` sending these credentials, as the
    /// publisher's `CONNECT` does.
    pub(crate) fn added_to(
        &self,
        options: async_nats::ConnectOptions,
    ) -> async_nats::ConnectOptions {
        let options = match (&self.user, &self.pass) {
            (None, None) => options,
            (user, pass) => options.user_and_password(
                user.clone().unwrap_or_default(),
                pass.clone().unwrap_or_default(),
            ),
        };
        match &self.token {
            Some(token) => options.token(token.clone()),
            None => options,
        }
    }

    /// The same credentials in what an async-nats auth callback returns:
    /// async-nats sends the callback's `Auth` in place of the options'
    /// user, password and token.
    pub(crate) fn fill(&self, auth: &mut async_nats::Auth) {
        auth.username.clone_from(&self.user);
        auth.password.clone_from(&self.pass);
        auth.token.clone_from(&self.token);
    }
}
