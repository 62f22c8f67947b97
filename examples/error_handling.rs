//! One failure, handled in the three styles of the guide's chapter 6:
//! a callback, a promise, and `async`/`await` with `?`.
//!
//! The failure: a grader asks for the grade of a student who does not
//! exist. Every style gets the same two requests ("ada" exists, "bob" does
//! not) and must print a grade for one and an explanation for the other,
//! without crashing and without losing the error.
//!
//! ```text
//! cargo run --example error_handling
//! ```

use std::sync::mpsc;
use std::time::Duration;

use async_primer::callback::{Callback, promisify};
use async_primer::promise::{Promise, PromiseError};
use async_primer::time::sleep;

#[derive(Debug, Clone, PartialEq)]
enum GradeError {
    NoSuchStudent(String),
    /// The crate's own faults (a broken or panicked promise) go here.
    Fault(PromiseError),
}

impl From<PromiseError> for GradeError {
    fn from(fault: PromiseError) -> Self {
        GradeError::Fault(fault)
    }
}

impl std::fmt::Display for GradeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            GradeError::NoSuchStudent(name) => write!(f, "no student called {name}"),
            GradeError::Fault(fault) => write!(f, "{fault}"),
        }
    }
}

fn student_id(name: &str) -> Result<u32, GradeError> {
    match name {
        "ada" => Ok(1),
        _ => Err(GradeError::NoSuchStudent(name.to_string())),
    }
}

// ---- 1. callbacks: the error is an argument, passed on by hand ----

fn lookup_student_cb(name: &'static str, done: Callback<u32, GradeError>) {
    std::thread::spawn(move || done(student_id(name)));
}

fn lookup_grade_cb(id: u32, done: Callback<u32, GradeError>) {
    std::thread::spawn(move || done(Ok(90 + id)));
}

fn grade_cb(name: &'static str, done: Callback<u32, GradeError>) {
    lookup_student_cb(
        name,
        Box::new(move |student| match student {
            Err(e) => done(Err(e)), // forget this arm and the error is lost
            Ok(id) => lookup_grade_cb(id, done),
        }),
    );
}

fn with_callbacks() -> Vec<String> {
    let (tx, rx) = mpsc::channel();
    for name in ["ada", "bob"] {
        let tx = tx.clone();
        grade_cb(
            name,
            Box::new(move |result| {
                let line = match result {
                    Ok(grade) => format!("{name}: {grade}"),
                    Err(e) => format!("{name}: error: {e}"),
                };
                tx.send((name, line)).unwrap();
            }),
        );
    }
    let mut lines: Vec<_> = rx.iter().take(2).collect();
    lines.sort(); // the threads finish in any order
    lines.into_iter().map(|(_, line)| line).collect()
}

// ---- 2. promises: the error travels to `catch` ----

fn lookup_student_p(name: &str) -> Promise<u32, GradeError> {
    let (student, resolver) = Promise::with_resolvers();
    let result = student_id(name);
    let _detached = async_primer::spawn(async move {
        sleep(Duration::from_millis(5)).await; // the database is slow
        resolver.settle(result);
    });
    student
}

fn lookup_grade_p(id: u32) -> Promise<u32, GradeError> {
    Promise::resolved(90 + id)
}

fn with_promises() -> Vec<String> {
    async_primer::block_on(async {
        let mut lines = Vec::new();
        for name in ["ada", "bob"] {
            let line = lookup_student_p(name)
                .then_promise(lookup_grade_p)
                .then(move |grade| format!("{name}: {grade}"))
                .catch(move |e| Ok::<_, GradeError>(format!("{name}: error: {e}")));
            lines.push(line.await.expect("catch recovered every error"));
        }
        lines
    })
}

// ---- 3. async/await: `?` passes the error on ----

async fn grade_async(name: &'static str) -> Result<u32, GradeError> {
    let id = promisify(|cb| lookup_student_cb(name, cb)).await?; // a callback API
    let grade = lookup_grade_p(id).await?; // a promise
    Ok(grade)
}

fn with_async_await() -> Vec<String> {
    async_primer::block_on(async {
        let mut lines = Vec::new();
        for name in ["ada", "bob"] {
            lines.push(match grade_async(name).await {
                Ok(grade) => format!("{name}: {grade}"),
                Err(e) => format!("{name}: error: {e}"),
            });
        }
        lines
    })
}

type Style = fn() -> Vec<String>;

fn main() {
    let styles: [(&str, Style); 3] = [
        (
            "callbacks (Result argument, passed on by hand)",
            with_callbacks,
        ),
        ("promises (rejection travels to catch)", with_promises),
        ("async/await (? returns early)", with_async_await),
    ];
    let expected = ["ada: 91", "bob: error: no student called bob"];
    for (style, run) in styles {
        println!("== {style}");
        let lines = run();
        for line in &lines {
            println!("   {line}");
        }
        assert_eq!(lines, expected, "every style gives the same answer");
    }

    println!("== and a bug inside a step: a panic becomes an error, not a crash");
    // One short line for the panic instead of the default report.
    std::panic::set_hook(Box::new(|info| eprintln!("   (caught a panic: {info})")));
    let crashed = async_primer::block_on(async {
        lookup_grade_p(1)
            .then(|grade| -> u32 { panic!("grade {grade} does not fit the scale") })
            .await
    });
    println!("   {crashed:?}");
    assert!(matches!(
        crashed,
        Err(GradeError::Fault(PromiseError::Panicked(_)))
    ));
}
