//! Error-first callbacks, then the same flow as "callback hell".
//!
//! A course portal loads a student's report in three steps: the user, then
//! the course they are enrolled in, then their grades. Each step is an
//! operation that calls back later, from another thread, with a `Result`.
//! Run it with `cargo run --example callbacks`; guide chapter 1 explains it.

use async_primer::callback::Callback;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

#[derive(Debug, Clone)]
struct User {
    id: u32,
    name: String,
}

/// Pretends to be a slow database: calls back after a short pause.
fn later(f: impl FnOnce() + Send + 'static) {
    thread::spawn(move || {
        thread::sleep(Duration::from_millis(5));
        f();
    });
}

fn load_user(id: u32, done: Callback<User, String>) {
    later(move || match id {
        1 => done(Ok(User {
            id,
            name: "Ada".into(),
        })),
        2 => done(Ok(User {
            id,
            name: "Bob".into(),
        })),
        _ => done(Err(format!("no user with id {id}"))),
    });
}

fn load_course(user: &User, done: Callback<String, String>) {
    let id = user.id;
    later(move || match id {
        1 => done(Ok("Rust 101".into())),
        _ => done(Err(format!("user {id} is not enrolled in any course"))),
    });
}

fn load_grades(user_id: u32, course: &str, done: Callback<Vec<u32>, String>) {
    let course = course.to_string();
    later(move || {
        done(Ok(if user_id == 1 && course == "Rust 101" {
            vec![92, 88, 97]
        } else {
            vec![]
        }))
    });
}

/// Part 1: one error-first callback at a time.
fn one_step() {
    println!("-- part 1: error-first callbacks");
    let (tx, rx) = mpsc::channel();
    for id in [1, 3] {
        let tx = tx.clone();
        println!("asking for user {id} (not waiting for the answer)");
        load_user(
            id,
            Box::new(move |result| {
                tx.send((id, result)).unwrap();
            }),
        );
    }
    drop(tx);
    let mut answers: Vec<_> = rx.iter().collect();
    answers.sort_by_key(|(id, _)| *id); // arrival order varies; print in id order
    for (id, answer) in answers {
        match answer {
            Ok(user) => println!("user {id}: found {}", user.name),
            Err(e) => println!("user {id}: error: {e}"),
        }
    }
}

/// Part 2: three steps in a row. Each one lives inside the previous one's
/// callback, and every level repeats the error handling.
fn report(id: u32, done: Callback<String, String>) {
    load_user(
        id,
        Box::new(move |user| match user {
            Err(e) => done(Err(format!("loading the user: {e}"))),
            Ok(user) => load_course(
                &user.clone(),
                Box::new(move |course| match course {
                    Err(e) => done(Err(format!("loading the course: {e}"))),
                    Ok(course) => load_grades(
                        user.id,
                        &course.clone(),
                        Box::new(move |grades| match grades {
                            Err(e) => done(Err(format!("loading the grades: {e}"))),
                            Ok(grades) => {
                                let mean = grades.iter().sum::<u32>() / grades.len().max(1) as u32;
                                done(Ok(format!(
                                    "{} in {course}: {grades:?}, mean {mean}",
                                    user.name
                                )))
                            }
                        }),
                    ),
                }),
            ),
        }),
    );
}

fn callback_hell() {
    println!("-- part 2: the same flow, three levels deep (callback hell)");
    for id in [1, 2, 3] {
        let (tx, rx) = mpsc::channel();
        report(id, Box::new(move |r| tx.send(r).unwrap()));
        match rx.recv().expect("report always calls back") {
            Ok(line) => println!("report for user {id}: {line}"),
            Err(e) => println!("report for user {id} failed: {e}"),
        }
    }
    println!("(every level had to pass its error on by hand; chapter 2 fixes that)");
}

fn main() {
    one_step();
    callback_hell();
}
