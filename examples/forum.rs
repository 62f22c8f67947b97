//! A course discussion forum built on `EventEmitter`: members subscribe,
//! post and leave at their own pace, and everyone subscribed hears every
//! post. The schedule is a fixed script, so the output is the same on
//! every run. Run it with `cargo run --example forum`.

use async_primer::callback::{EventEmitter, ListenerId};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, Weak};

#[derive(Debug, Clone)]
struct Post {
    author: String,
    text: String,
}

/// The forum's log, so that listeners can write to it in order.
type Log = Arc<Mutex<Vec<String>>>;

struct Forum {
    posts: Arc<EventEmitter<Post>>,
    members: BTreeMap<&'static str, ListenerId>,
    log: Log,
}

impl Forum {
    fn new() -> Self {
        let posts = Arc::new(EventEmitter::new());
        let log: Log = Arc::default();
        // The moderator greets only the very first post, then goes quiet.
        let l = log.clone();
        posts.once(move |p: &Post| {
            l.lock().unwrap().push(format!(
                "  moderator: welcome, {}, and thanks for the first post!",
                p.author
            ));
        });
        Forum {
            posts,
            members: BTreeMap::new(),
            log,
        }
    }

    fn say(&self, line: String) {
        self.log.lock().unwrap().push(line);
    }

    /// `name` subscribes; if `replies_to` is set, they answer posts that mention it.
    fn join(&mut self, name: &'static str, replies_to: Option<&'static str>) {
        let log = self.log.clone();
        let forum: Weak<EventEmitter<Post>> = Arc::downgrade(&self.posts);
        let id = self.posts.on(move |p: &Post| {
            if p.author == name {
                return; // nobody needs a notification of their own post
            }
            log.lock().unwrap().push(format!(
                "  {name} is notified: {} wrote {:?}",
                p.author, p.text
            ));
            // Replying from inside a listener: a nested emit on the same emitter.
            if let (Some(word), Some(forum)) = (replies_to, forum.upgrade()) {
                if p.text.contains(word) && !p.text.starts_with("re:") {
                    log.lock()
                        .unwrap()
                        .push(format!("  {name} replies at once (a nested emit):"));
                    forum.emit(Post {
                        author: name.to_string(),
                        text: format!("re: {word}? see chapter 1"),
                    });
                }
            }
        });
        self.members.insert(name, id);
        self.say(format!(
            "{name} joins ({} members subscribed)",
            self.members.len()
        ));
    }

    fn post(&self, author: &str, text: &str) {
        self.say(format!("{author} posts {text:?}"));
        let heard = self.posts.emit(Post {
            author: author.to_string(),
            text: text.to_string(),
        });
        self.say(format!("  ({heard} listeners called by this post)"));
    }

    fn leave(&mut self, name: &'static str) {
        let id = self.members.remove(name).expect("only members leave");
        let removed = self.posts.off(id);
        self.say(format!("{name} leaves (unsubscribed: {removed})"));
    }
}

fn main() {
    let mut forum = Forum::new();

    // Each member arrives, posts and leaves at their own pace: the script
    // below is one possible day, in order.
    forum.join("ada", None);
    forum.join("bob", Some("callbacks"));
    forum.post("ada", "hello everyone");
    forum.join("cy", None);
    forum.post("cy", "who understands callbacks");
    forum.leave("ada");
    forum.post("bob", "study group at six?");

    // A latecomer waits for the next post as a future instead of a listener.
    let next = forum.posts.next();
    forum.post("cy", "count me in");
    let seen = futures::executor::block_on(next).expect("a post came");
    forum.say(format!(
        "dan (waiting with next()) got {:?} from {}",
        seen.text, seen.author
    ));

    forum.leave("bob");
    forum.leave("cy");
    forum.post("dan", "is anyone still here?");

    for line in forum.log.lock().unwrap().iter() {
        println!("{line}");
    }
    assert_eq!(forum.posts.listener_count(), 0, "everyone left");
}
