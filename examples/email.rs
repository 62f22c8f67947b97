//! Email: message passing between people who are never online at the same
//! time.
//!
//! Each person has a mailbox: the receiving half of an `mpsc` channel. The
//! post office hands out the sending halves, so anybody can drop a letter
//! into anybody's mailbox without the owner being there. Each person comes
//! online on their own schedule, reads whatever has arrived (without
//! waiting for more), answers it, and goes offline again.
//!
//! It runs under virtual time: the sleeps between sessions take no real
//! time, and the output is the same on every run.
//!
//!     cargo run --example email
//!
//! See guide chapter 5 (`async_primer::guide::ch05_async_await`).

use std::collections::BTreeMap;
use std::rc::Rc;
use std::time::Duration;

use async_primer::channel::{TryRecvError, mpsc};
use async_primer::executor::Executor;
use async_primer::time::{now, sleep};

#[derive(Debug)]
struct Mail {
    from: &'static str,
    subject: String,
    sent_at: u64,
    /// How many replies deep this letter is.
    depth: u32,
}

/// Everybody's mailbox address: the sending half of their channel.
type PostOffice = Rc<BTreeMap<&'static str, mpsc::Sender<Mail>>>;

/// Who comes online when: first session (minutes), minutes between
/// sessions, number of sessions. Nobody's sessions overlap.
const PEOPLE: [(&str, u64, u64, u32); 3] = [
    ("ada", 0, 30, 4),
    ("grace", 10, 30, 4),
    ("linus", 20, 30, 4),
];

/// Replies stop at this depth, so the conversation ends.
const MAX_DEPTH: u32 = 2;

fn main() {
    let ex = Executor::builder().virtual_time().build();
    let (sent, read) = ex.block_on(async {
        let start = now();
        let minutes = move || (now() - start).as_secs() / 60;

        // One mailbox per person; the post office keeps the addresses.
        let mut addresses = BTreeMap::new();
        let mut mailboxes = Vec::new();
        for (name, ..) in PEOPLE {
            let (tx, rx) = mpsc::unbounded();
            addresses.insert(name, tx);
            mailboxes.push(rx);
        }
        let post: PostOffice = Rc::new(addresses);

        let mut people = Vec::new();
        for ((name, first, every, sessions), mut mailbox) in PEOPLE.into_iter().zip(mailboxes) {
            let post = post.clone();
            people.push(async_primer::spawn(async move {
                let (mut sent, mut read) = (0u32, 0u32);
                sleep(Duration::from_secs(first * 60)).await;
                for session in 1..=sessions {
                    println!("[{:>3} min] {name} comes online", minutes());
                    // Read everything that arrived while we were away.
                    loop {
                        match mailbox.try_recv() {
                            Ok(mail) => {
                                read += 1;
                                println!(
                                    "            {name} reads \"{}\" from {} (sent at {} min, waited {} min)",
                                    mail.subject,
                                    mail.from,
                                    mail.sent_at,
                                    minutes() - mail.sent_at
                                );
                                if mail.depth < MAX_DEPTH {
                                    let reply = Mail {
                                        from: name,
                                        subject: format!("Re: {}", mail.subject),
                                        sent_at: minutes(),
                                        depth: mail.depth + 1,
                                    };
                                    post[mail.from].send(reply).await.expect("mailboxes outlive people");
                                    sent += 1;
                                    println!("            {name} replies to {}", mail.from);
                                }
                            }
                            Err(TryRecvError::Empty) => break, // read it all; do not wait
                            Err(TryRecvError::Disconnected) => unreachable!("the post office keeps every address"),
                        }
                    }
                    // On the first session, write to the next person along.
                    if session == 1 {
                        let names: Vec<_> = post.keys().copied().collect();
                        let me = names.iter().position(|n| *n == name).unwrap();
                        let to = names[(me + 1) % names.len()];
                        let mail = Mail {
                            from: name,
                            subject: format!("hello from {name}"),
                            sent_at: minutes(),
                            depth: 0,
                        };
                        post[to].send(mail).await.expect("mailboxes outlive people");
                        sent += 1;
                        println!("            {name} writes to {to}");
                    }
                    println!("[{:>3} min] {name} goes offline", minutes());
                    sleep(Duration::from_secs(every * 60)).await;
                }
                (sent, read)
            }));
        }

        let mut total = (0, 0);
        for person in people {
            let (sent, read) = person.await.expect("nobody panics");
            total.0 += sent;
            total.1 += read;
        }
        total
    });
    println!("{sent} letters sent, {read} read, none lost");
    assert_eq!(sent, read, "every letter was read");
    // Three first letters, each answered twice (depth 1 and 2).
    assert_eq!(sent, 3 * (1 + MAX_DEPTH));
}
