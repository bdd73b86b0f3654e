use super::*;
use alloc::vec::Vec;

fn info(signal: u32, value: u64) -> SigInfo {
    let mut info = SigInfo::new(signal as i32, abi::signal::SI_QUEUE);
    info.fields[1] = value;
    info
}

#[test]
fn standard_signals_do_not_queue() {
    let mut pending = PendingQueue::new();
    assert!(pending.push(info(SIGUSR1, 1)));
    assert!(!pending.push(info(SIGUSR1, 2)));
    assert_eq!(pending.queued(), 1);
    let first = pending.dequeue(0).expect("pending");
    assert_eq!(first.fields[1], 1);
    assert_eq!(pending.dequeue(0), None);
    assert_eq!(pending.set(), 0);
}

#[test]
fn realtime_signals_queue_in_order() {
    let mut pending = PendingQueue::new();
    for value in 0..3 {
        assert!(pending.push(info(SIGRTMIN + 2, value)));
    }
    let values: Vec<u64> =
        core::iter::from_fn(|| pending.dequeue(0).map(|i| i.fields[1])).collect();
    assert_eq!(values, [0, 1, 2]);
}

#[test]
fn lowest_number_first_and_synchronous_before_others() {
    let mut pending = PendingQueue::new();
    pending.push(info(SIGRTMIN + 1, 0));
    pending.push(info(SIGTERM, 0));
    pending.push(info(SIGINT, 0));
    pending.push(info(SIGSEGV, 0));
    let order: Vec<u32> =
        core::iter::from_fn(|| pending.dequeue(0).map(|i| i.signo as u32)).collect();
    assert_eq!(order, [SIGSEGV, SIGINT, SIGTERM, SIGRTMIN + 1]);
}

#[test]
fn blocked_signals_stay_pending() {
    let mut pending = PendingQueue::new();
    pending.push(info(SIGUSR1, 0));
    pending.push(info(SIGUSR2, 0));
    assert_eq!(pending.next_signal(bit(SIGUSR1)), Some(SIGUSR2));
    assert_eq!(
        pending.dequeue(bit(SIGUSR1)).map(|i| i.signo as u32),
        Some(SIGUSR2)
    );
    assert_eq!(pending.dequeue(bit(SIGUSR1)), None);
    assert_eq!(pending.set(), bit(SIGUSR1));
}

#[test]
fn discard_and_take() {
    let mut pending = PendingQueue::new();
    pending.push(info(SIGSTOP, 0));
    pending.push(info(SIGTSTP, 0));
    pending.push(info(SIGCONT, 0));
    pending.discard(STOP_MASK);
    assert_eq!(pending.set(), bit(SIGCONT));
    assert_eq!(pending.queued(), 1);
    assert!(pending.take(SIGCONT).is_some());
    assert!(pending.take(SIGCONT).is_none());
    assert!(!pending.push(info(0, 0)));
    assert!(!pending.push(info(65, 0)));
}

#[test]
fn default_actions_match_signal_7() {
    assert_eq!(default_action(SIGKILL), DefaultAction::Terminate);
    assert_eq!(default_action(SIGSEGV), DefaultAction::CoreDump);
    assert_eq!(default_action(SIGABRT), DefaultAction::CoreDump);
    assert_eq!(default_action(SIGTSTP), DefaultAction::Stop);
    assert_eq!(default_action(SIGCONT), DefaultAction::Continue);
    assert_eq!(default_action(SIGCHLD), DefaultAction::Ignore);
    assert_eq!(default_action(SIGWINCH), DefaultAction::Ignore);
    assert_eq!(default_action(SIGPIPE), DefaultAction::Terminate);
    assert_eq!(default_action(SIGRTMIN + 5), DefaultAction::Terminate);
    assert_eq!(default_action(SIGSYS), DefaultAction::CoreDump);
}

#[test]
fn marker_without_info_reads_as_si_user() {
    let mut pending = PendingQueue::new();
    pending.push_marker(SIGRTMIN + 9);
    assert_eq!(pending.queued(), 0);
    let taken = pending.dequeue(0).expect("pending");
    assert_eq!(taken.signo as u32, SIGRTMIN + 9);
    assert_eq!(taken.code, abi::signal::SI_USER);
    assert_eq!(taken.pid(), 0);
    assert_eq!(pending.set(), 0);
}

#[test]
fn queued_where_counts_what_the_predicate_accepts() {
    let mut pending = PendingQueue::new();
    assert!(pending.push(info(SIGRTMIN, 1)));
    let mut timer = SigInfo::new(SIGRTMIN as i32, abi::signal::SI_TIMER);
    timer.fields[0] = 7;
    assert!(pending.push_always(timer));
    assert!(pending.push(info(SIGRTMIN + 1, 2)));
    assert_eq!(pending.queued(), 3);
    assert_eq!(
        pending.queued_where(|queued| queued.code != abi::signal::SI_TIMER),
        2
    );
}
