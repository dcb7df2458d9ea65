//! Plain HTML pages (no JavaScript). Everything user-supplied goes through
//! [`escape`].

use std::fmt::Write as _;

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A whole page around `body` (trusted HTML).
pub fn page(title: &str, body: &str) -> String {
    format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · sealed-session demo</title>
<style>
  body {{ font: 16px/1.5 system-ui, sans-serif; max-width: 42rem; margin: 2rem auto; padding: 0 1rem; color: #222; }}
  h1 {{ font-size: 1.4rem; }}
  form.inline {{ display: inline; }}
  fieldset {{ margin: 1rem 0; border: 1px solid #ccc; border-radius: 6px; }}
  label {{ display: block; margin: .3rem 0; }}
  input[type=text], input[type=password] {{ width: 16rem; }}
  button {{ margin: .3rem .3rem .3rem 0; padding: .3rem .8rem; }}
  .counter {{ font-size: 2.5rem; font-weight: bold; }}
  .notice {{ padding: .5rem 1rem; border-radius: 6px; background: #eef; }}
  .error {{ padding: .5rem 1rem; border-radius: 6px; background: #fee; }}
  table {{ border-collapse: collapse; }}
  td, th {{ text-align: left; padding: .2rem .8rem .2rem 0; vertical-align: top; }}
  code {{ font-size: .9em; }}
  nav {{ margin-bottom: 1rem; }}
</style>
</head>
<body>
<nav><a href="/">Home</a> · <a href="/sessions" id="nav-sessions">Your sessions</a> · <a href="/session">Session details</a> · <a href="/size-cap">Size cap</a></nav>
{body}
</body>
</html>
"#,
        title = escape(title),
    )
}

/// A one-line notice or error box with a fixed (not user-supplied) message.
pub fn notice(class: &str, id: &str, message: &str) -> String {
    format!(
        r#"<p class="{}" id="{}">{}</p>"#,
        escape(class),
        escape(id),
        escape(message)
    )
}

/// The signed-out home page: log in and sign up forms, and the visit
/// counter of a visitor's anonymous session (`visits`, if there is one).
pub fn logged_out(message: Option<(&str, &str)>, visits: Option<u64>) -> String {
    let mut body = String::from(r#"<h1 id="status">You are not signed in</h1>"#);
    if let Some((class, text)) = message {
        body.push_str(&notice(class, "message", text));
    }
    let _ = write!(
        body,
        r#"
<p>Visits counted in an anonymous session (no login): <span id="visits">{}</span></p>
<form method="post" action="/visits" class="inline"><button type="submit" id="count-visit">Count a visit</button></form>
"#,
        visits.unwrap_or(0)
    );
    body.push_str(
        r#"
<fieldset>
<legend>Log in</legend>
<form method="post" action="/login" id="login-form">
  <label>User name <input type="text" name="username" id="login-username" autocomplete="username" required></label>
  <label>Password <input type="password" name="password" id="login-password" autocomplete="current-password" required></label>
  <button type="submit" id="login-submit">Log in</button>
</form>
</fieldset>
<fieldset>
<legend>Sign up</legend>
<form method="post" action="/signup" id="signup-form">
  <label>User name <input type="text" name="username" id="signup-username" autocomplete="username" required maxlength="64"></label>
  <label>Password (8+ characters) <input type="password" name="password" id="signup-password" autocomplete="new-password" required minlength="8"></label>
  <button type="submit" id="signup-submit">Sign up</button>
</form>
</fieldset>
"#,
    );
    page("Sign in", &body)
}

/// The signed-in home page: the counter and the logout buttons.
pub fn home(username: &str, counter: u64, message: Option<(&str, &str)>) -> String {
    let mut body = String::new();
    let _ = write!(
        body,
        r#"<h1 id="status">Signed in as <span id="whoami">{}</span></h1>"#,
        escape(username)
    );
    if let Some((class, text)) = message {
        body.push_str(&notice(class, "message", text));
    }
    let _ = write!(
        body,
        r#"
<p>This counter lives in your session cookie (sealed, not in the database):</p>
<p class="counter" id="counter">{counter}</p>
<form method="post" action="/counter" class="inline"><button type="submit" id="increment">Increment</button></form>
<hr>
<form method="post" action="/logout" class="inline"><button type="submit" id="logout">Log out</button></form>
<form method="post" action="/logout-everywhere" class="inline"><button type="submit" id="logout-everywhere">Log out everywhere</button></form>
<p><small>"Log out" revokes this browser's session, so even a copy of its
cookie stops working. "Log out everywhere" revokes every session of yours, in
every browser, on every server. <a href="/sessions">Your sessions</a> lists
them.</small></p>
"#
    );
    page("Home", &body)
}

/// One row of the "your sessions" page (all text, escaped here).
#[derive(Clone, Debug)]
pub struct DeviceRow {
    /// The session id, 16 hex digits.
    pub id: String,
    /// Login time (RFC 3339).
    pub logged_in_at: String,
    /// Absolute deadline (RFC 3339).
    pub expires_at: String,
    /// The browser at login.
    pub user_agent: String,
    /// When it was logged out, if it was.
    pub ended: Option<String>,
    /// Whether it is the session of this request.
    pub this_device: bool,
}

/// The "your sessions" page.
pub fn sessions(username: &str, rows: &[DeviceRow], message: Option<(&str, &str)>) -> String {
    let mut body = String::new();
    let _ = write!(
        body,
        r#"<h1 id="status">Sessions of <span id="whoami">{}</span></h1>"#,
        escape(username)
    );
    if let Some((class, text)) = message {
        body.push_str(&notice(class, "message", text));
    }
    body.push_str(
        r#"<table id="sessions"><tr><th>Session</th><th>Logged in</th><th>Browser</th><th>State</th><th></th></tr>"#,
    );
    for row in rows {
        let id = escape(&row.id);
        let state = match (&row.ended, row.this_device) {
            (Some(at), _) => format!("logged out at {}", escape(at)),
            (None, true) => "active (this device)".to_owned(),
            (None, false) => format!("active until {}", escape(&row.expires_at)),
        };
        let action = if row.ended.is_some() {
            String::new()
        } else {
            format!(
                r#"<form method="post" action="/sessions/end" class="inline"><input type="hidden" name="id" value="{id}"><button type="submit" id="end-{id}">Log out this device</button></form>"#
            )
        };
        let _ = write!(
            body,
            r#"<tr id="session-{id}" class="{class}"{this}><td><code>{id}</code></td><td>{login}</td><td>{agent}</td><td class="state">{state}</td><td>{action}</td></tr>"#,
            class = if row.ended.is_some() {
                "ended"
            } else {
                "active"
            },
            this = if row.this_device {
                r#" data-this-device="yes""#
            } else {
                ""
            },
            login = escape(&row.logged_in_at),
            agent = escape(&row.user_agent),
        );
    }
    body.push_str(
        r#"</table>
<form method="post" action="/logout-everywhere" class="inline"><button type="submit" id="logout-everywhere">Log out everywhere</button></form>
<p><small>The list comes from the database, written at each login; it is
read on this page only. Checking a cookie on every other request is a lookup
in memory.</small></p>"#,
    );
    page("Your sessions", &body)
}

/// Rows of the session details table.
pub fn session_details(rows: &[(&str, &str, String)]) -> String {
    let mut body = String::from(r#"<h1 id="status">Session details</h1><table id="details">"#);
    for (id, label, value) in rows {
        let _ = write!(
            body,
            r#"<tr><th>{}</th><td id="{}">{}</td></tr>"#,
            escape(label),
            escape(id),
            escape(value)
        );
    }
    body.push_str("</table>");
    page("Session", &body)
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape(r#"<script>"a" & 'b'</script>"#),
            "&lt;script&gt;&quot;a&quot; &amp; &#39;b&#39;&lt;/script&gt;"
        );
    }
}
