use super::*;

fn classes(names: &[&'static str]) -> (Classes, [ClassId; 8]) {
    let mut table = Classes::new();
    let mut ids = [ClassId(0); 8];
    for (slot, name) in ids.iter_mut().zip(names) {
        *slot = table.intern(name).unwrap();
    }
    (table, ids)
}

#[test]
fn interning_gives_one_id_per_name() {
    let mut table = Classes::new();
    let a = table.intern("a").unwrap();
    let b = table.intern("b").unwrap();
    assert_ne!(a, b);
    assert_eq!(table.intern("a"), Some(a));
    // The same text from another literal is the same class.
    let owned: &'static str = Box::leak(String::from("b").into_boxed_str());
    assert_eq!(table.intern(owned), Some(b));
    assert_eq!(table.name(a), "a");
    assert_eq!(table.len(), 2);
}

#[test]
fn the_table_fills_up() {
    let mut table = Classes::new();
    for i in 0..MAX_CLASSES {
        let name: &'static str = Box::leak(format!("class{i}").into_boxed_str());
        assert!(table.intern(name).is_some());
    }
    assert_eq!(table.intern("one more"), None);
    assert_eq!(table.intern("class7").map(ClassId::index), Some(7));
}

#[test]
fn a_consistent_order_is_accepted() {
    let (_, [a, b, c, ..]) = classes(&["a", "b", "c"]);
    let mut graph = OrderGraph::new();
    assert_eq!(graph.record(a, b), Ok(()));
    assert_eq!(graph.record(b, c), Ok(()));
    assert_eq!(graph.record(a, c), Ok(()));
    assert_eq!(graph.record(a, b), Ok(()));
    assert_eq!(graph.edge_count(), 3);
    assert_eq!(
        graph.edges().collect::<Vec<_>>(),
        vec![(a, b), (a, c), (b, c)]
    );
    assert!(graph.is_ordered(a, c));
    assert!(!graph.is_ordered(c, a));
}

#[test]
fn the_opposite_order_is_a_cycle() {
    let (_, [a, b, ..]) = classes(&["a", "b"]);
    let mut graph = OrderGraph::new();
    graph.record(a, b).unwrap();
    let cycle = graph.record(b, a).unwrap_err();
    assert_eq!((cycle.held, cycle.acquired), (b, a));
    assert_eq!(cycle.chain(), &[a, b]);
    // Nothing was recorded.
    assert!(!graph.is_ordered(b, a));
}

#[test]
fn a_transitive_cycle_names_the_chain() {
    let (_, [a, b, c, d, e, f, ..]) = classes(&["a", "b", "c", "d", "e", "f"]);
    let mut graph = OrderGraph::new();
    graph.record(a, b).unwrap();
    graph.record(b, c).unwrap();
    graph.record(c, d).unwrap();
    let cycle = graph.record(d, a).unwrap_err();
    assert_eq!(cycle.chain(), &[a, b, c, d]);
    // Edges added after the closure was built still count.
    graph.record(e, a).unwrap();
    graph.record(d, f).unwrap();
    assert!(graph.record(f, e).is_err());
}

#[test]
fn nesting_one_class_is_not_recorded() {
    let (_, [a, ..]) = classes(&["a"]);
    let mut graph = OrderGraph::new();
    assert_eq!(graph.record(a, a), Ok(()));
    assert_eq!(graph.edge_count(), 0);
}

#[test]
fn held_locks_release_out_of_order() {
    let (_, [a, b, c, ..]) = classes(&["a", "b", "c"]);
    let mut held: HeldLocks<u32, 4> = HeldLocks::new();
    for (class, address) in [(a, 10), (b, 20), (c, 30)] {
        held.push(Held {
            class,
            address,
            location: 0,
        })
        .unwrap();
    }
    assert_eq!(held.remove(20).map(|h| h.class), Some(b));
    assert_eq!(
        held.iter().map(|h| h.address).collect::<Vec<_>>(),
        vec![10, 30]
    );
    assert_eq!(held.remove(20), None);
    assert_eq!(held.len(), 2);
}

#[test]
fn taking_a_held_lock_again_is_refused() {
    let (_, [a, ..]) = classes(&["a"]);
    let mut held: HeldLocks<u32, 2> = HeldLocks::new();
    let first = Held {
        class: a,
        address: 10,
        location: 1,
    };
    held.push(first).unwrap();
    assert_eq!(
        held.push(Held {
            class: a,
            address: 10,
            location: 2
        }),
        Err(HeldError::Recursive(first))
    );
    held.push(Held {
        class: a,
        address: 11,
        location: 2,
    })
    .unwrap();
    assert_eq!(
        held.push(Held {
            class: a,
            address: 12,
            location: 3
        }),
        Err(HeldError::Overflow)
    );
}

#[test]
fn the_edge_cache_remembers_and_evicts() {
    let (_, [a, b, c, ..]) = classes(&["a", "b", "c"]);
    let mut cache = EdgeCache::new();
    assert!(!cache.contains(a, b));
    cache.insert(a, b);
    assert!(cache.contains(a, b));
    assert!(!cache.contains(b, a));
    assert!(!cache.contains(a, c));
    // Filling every slot evicts; whatever is reported present was inserted.
    let mut table = Classes::new();
    let ids: Vec<ClassId> = (0..40)
        .map(|i| {
            let name: &'static str = Box::leak(format!("c{i}").into_boxed_str());
            table.intern(name).unwrap()
        })
        .collect();
    for &x in &ids {
        for &y in &ids {
            cache.insert(x, y);
        }
    }
    let last = ids[39];
    assert!(cache.contains(last, last));
}
