//! The provider graph, checked before anything is made: every provider a factory, a controller
//! or a guard needs exists (all that do not are reported together), factories form no cycle,
//! and the order in which to await them, each after those it takes.

use std::any::TypeId;
use std::collections::{HashMap, HashSet};

use super::Providers;
use super::factory::Pending;
use crate::Error;

/// What start-up will have: the providers given as values, and what the factories will make.
pub(crate) struct Graph<'a> {
    available: HashSet<TypeId>,
    factories: &'a [Pending],
    by_output: HashMap<TypeId, usize>,
}

impl<'a> Graph<'a> {
    pub(crate) fn new(providers: &Providers, factories: &'a [Pending]) -> Self {
        let by_output: HashMap<TypeId, usize> = factories
            .iter()
            .enumerate()
            .map(|(index, factory)| (factory.output, index))
            .collect();
        let mut available: HashSet<TypeId> = providers.type_ids().collect();
        available.extend(by_output.keys());
        Self {
            available,
            factories,
            by_output,
        }
    }

    /// Counts these types as provided: their absence is reported already (a configuration that
    /// could not be read), and would otherwise be reported again by everything that takes them.
    pub(crate) fn assume(&mut self, reported: &[TypeId]) {
        self.available.extend(reported);
    }

    /// Whether a provider of this type will exist.
    pub(crate) fn has(&self, type_id: TypeId) -> bool {
        self.available.contains(&type_id)
    }

    /// The factories' order (each after the factories it takes), adding to `problems` each
    /// missing argument of a factory and each cycle.
    pub(crate) fn order(&self, problems: &mut Vec<Error>) -> Vec<usize> {
        for factory in self.factories {
            for dependency in &factory.dependencies {
                if dependency.required && !self.has(dependency.type_id) {
                    problems.push(Error::FactoryDependency {
                        provider: factory.name,
                        dependency: dependency.type_name,
                    });
                }
            }
        }
        let mut order = Vec::with_capacity(self.factories.len());
        let mut state = vec![Visit::New; self.factories.len()];
        let mut path = Vec::new();
        for index in 0..self.factories.len() {
            self.visit(index, &mut state, &mut path, &mut order, problems);
        }
        order
    }

    /// Depth first: a factory's arguments before it; one back to a factory on `path` is a cycle.
    fn visit(
        &self,
        index: usize,
        state: &mut [Visit],
        path: &mut Vec<usize>,
        order: &mut Vec<usize>,
        problems: &mut Vec<Error>,
    ) {
        match state[index] {
            Visit::Done => return,
            Visit::OnPath => {
                let start = path.iter().position(|&i| i == index).unwrap_or(0);
                let mut members: Vec<&'static str> = path[start..]
                    .iter()
                    .map(|&i| self.factories[i].name)
                    .collect();
                members.push(self.factories[index].name);
                problems.push(Error::ProviderCycle { members });
                return;
            }
            Visit::New => {}
        }
        state[index] = Visit::OnPath;
        path.push(index);
        for dependency in &self.factories[index].dependencies {
            if let Some(&next) = self.by_output.get(&dependency.type_id) {
                self.visit(next, state, path, order, problems);
            }
        }
        path.pop();
        state[index] = Visit::Done;
        order.push(index);
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Visit {
    New,
    OnPath,
    Done,
}
