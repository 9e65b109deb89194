//! The app's pages, addressed by the URL fragment (`#/runs/3`), so the server only ever
//! serves `index.html`.

/// One page of the app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// The run history (the start page).
    History,
    /// The models list and upload.
    Models,
    /// One model's layers.
    Model(i64),
    /// The datasets list and upload.
    Datasets,
    /// One dataset.
    Dataset(i64),
    /// The new-run form.
    NewRun,
    /// The new-run form filled in with a run's settings.
    CloneRun(i64),
    /// One run: progress, charts, layers, artifacts.
    Run(i64),
    /// Runs side by side.
    Compare(Vec<i64>),
    /// Anything else.
    NotFound(String),
}

impl Route {
    /// Parses a location fragment such as `#/runs/3` or `#/compare/1,2`.
    pub fn parse(hash: &str) -> Self {
        let path = hash.trim_start_matches('#').trim_matches('/');
        let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
        let id = |text: &str| text.parse::<i64>().ok();
        match parts.as_slice() {
            [] | ["runs"] => Self::History,
            ["models"] => Self::Models,
            ["models", n] if id(n).is_some() => Self::Model(id(n).unwrap_or_default()),
            ["datasets"] => Self::Datasets,
            ["datasets", n] if id(n).is_some() => Self::Dataset(id(n).unwrap_or_default()),
            ["runs", "new"] => Self::NewRun,
            ["runs", n] if id(n).is_some() => Self::Run(id(n).unwrap_or_default()),
            ["runs", n, "clone"] if id(n).is_some() => Self::CloneRun(id(n).unwrap_or_default()),
            ["compare", ids] => Self::Compare(ids.split(',').filter_map(id).collect()),
            _ => Self::NotFound(path.to_owned()),
        }
    }

    /// The fragment that leads to this page.
    pub fn href(&self) -> String {
        match self {
            Self::History => "#/runs".into(),
            Self::Models => "#/models".into(),
            Self::Model(id) => format!("#/models/{id}"),
            Self::Datasets => "#/datasets".into(),
            Self::Dataset(id) => format!("#/datasets/{id}"),
            Self::NewRun => "#/runs/new".into(),
            Self::CloneRun(id) => format!("#/runs/{id}/clone"),
            Self::Run(id) => format!("#/runs/{id}"),
            Self::Compare(ids) => {
                let ids: Vec<String> = ids.iter().map(i64::to_string).collect();
                format!("#/compare/{}", ids.join(","))
            }
            Self::NotFound(path) => format!("#/{path}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fragments_round_trip() {
        for route in [
            Route::History,
            Route::Models,
            Route::Model(4),
            Route::Datasets,
            Route::Dataset(2),
            Route::NewRun,
            Route::CloneRun(5),
            Route::Run(17),
            Route::Compare(vec![1, 3]),
        ] {
            assert_eq!(Route::parse(&route.href()), route);
        }
    }

    #[test]
    fn an_empty_fragment_is_the_history_and_junk_is_not_found() {
        assert_eq!(Route::parse(""), Route::History);
        assert_eq!(Route::parse("#/"), Route::History);
        assert_eq!(
            Route::parse("#/runs/abc"),
            Route::NotFound("runs/abc".into())
        );
    }
}
