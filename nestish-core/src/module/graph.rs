//! The module graph, flattened: each module once, its providers, imports and exports, and the
//! checks of NestJS's encapsulation, made before anything is built.

use std::any::TypeId;
use std::collections::HashMap;

use super::{Import, ModuleBuilder};
use crate::providers::Dependency;
use crate::routing::record::RouteRecord;
use crate::{AppBuilder, Error};

/// How a module's provider is registered on the app.
pub(super) type Apply = Box<dyn FnOnce(AppBuilder) -> AppBuilder + Send>;

#[derive(Debug)]
struct ModuleInfo {
    name: &'static str,
    controllers: Vec<(TypeId, &'static str)>,
    /// Each provider's type, name, and what its factory takes.
    provides: Vec<(TypeId, &'static str, Vec<Dependency>)>,
    imports: Vec<usize>,
    exports: Vec<(TypeId, &'static str)>,
}

/// Every module of an app, each once.
#[derive(Debug, Default)]
pub(crate) struct ModuleGraph {
    modules: Vec<ModuleInfo>,
    /// The modules being added, for cycles.
    path: Vec<&'static str>,
}

impl ModuleGraph {
    /// Adds `module` and what it imports (once each, by name); its providers' registrations go
    /// to `apply`. Returns its index.
    pub(super) fn add(
        &mut self,
        module: ModuleBuilder,
        apply: &mut Vec<Apply>,
    ) -> Result<usize, Error> {
        self.path.push(module.name);
        let mut imports = Vec::new();
        for import in module.imports {
            let name = import.name();
            if let Some(index) = self.modules.iter().position(|m| m.name == name) {
                imports.push(index);
                continue;
            }
            if let Some(start) = self.path.iter().position(|m| *m == name) {
                let mut members = self.path[start..].to_vec();
                members.push(name);
                return Err(Error::ModuleCycle(members));
            }
            let built = match import {
                Import::Static(_, build) => build(),
                Import::Dynamic(module) => module,
            };
            imports.push(self.add(built, apply)?);
        }
        self.path.pop();
        let mut provides = Vec::new();
        for provided in module.providers {
            provides.push((provided.type_id, provided.name, provided.dependencies));
            apply.push(provided.apply);
        }
        for lifecycle in module.lifecycles {
            apply.push(Box::new(lifecycle));
        }
        self.modules.push(ModuleInfo {
            name: module.name,
            controllers: module.controllers,
            provides,
            imports,
            exports: module.exports,
        });
        Ok(self.modules.len() - 1)
    }

    /// Every module's controllers.
    pub(crate) fn controllers(&self) -> Vec<(TypeId, &'static str)> {
        self.modules
            .iter()
            .flat_map(|m| m.controllers.iter().copied())
            .collect()
    }

    /// NestJS's encapsulation: each controller and each module's factory takes only what its
    /// module provides, what its imports export, and the app's global providers; each export is
    /// the module's own or an import's; a type is provided by one module.
    pub(crate) fn check(&self, records: &[&'static RouteRecord], problems: &mut Vec<Error>) {
        let mut owner: HashMap<TypeId, usize> = HashMap::new();
        for (index, module) in self.modules.iter().enumerate() {
            for (type_id, name, _) in &module.provides {
                if let Some(&first) = owner.get(type_id) {
                    problems.push(Error::ProvidedTwice {
                        provider: name,
                        first: self.modules[first].name,
                        second: module.name,
                    });
                } else {
                    owner.insert(*type_id, index);
                }
            }
        }
        for module in &self.modules {
            for (type_id, name) in &module.exports {
                let own = module.provides.iter().any(|(id, ..)| id == type_id);
                if !own && !self.imported(module, *type_id) {
                    problems.push(Error::ExportNotProvided {
                        module: module.name,
                        provider: name,
                    });
                }
            }
        }
        // Which module each controller belongs to.
        let mut controllers: HashMap<TypeId, usize> = HashMap::new();
        for (index, module) in self.modules.iter().enumerate() {
            for (type_id, _) in &module.controllers {
                controllers.entry(*type_id).or_insert(index);
            }
        }
        let visible = |module: &ModuleInfo, dependency: &Dependency| {
            !owner.contains_key(&dependency.type_id)
                || module
                    .provides
                    .iter()
                    .any(|(id, ..)| *id == dependency.type_id)
                || self.imported(module, dependency.type_id)
        };
        // A guard is taken by its route as a dependency is by its controller: the guard of a
        // module's route is one the module can see. Once per controller and guard.
        let mut guarded = Vec::new();
        for record in records {
            let Some(&index) = controllers.get(&(record.controller_type)()) else {
                continue;
            };
            let module = &self.modules[index];
            for guard in record.guards {
                let key = (record.source.controller, guard.type_id());
                if guarded.contains(&key) {
                    continue;
                }
                guarded.push(key);
                let dependency = Dependency {
                    type_id: guard.type_id(),
                    type_name: guard.name(),
                    required: true,
                };
                if !visible(module, &dependency) {
                    problems.push(Error::Invisible {
                        module: module.name,
                        consumer: format!("the #[use_guards] of {}", record.source.controller),
                        provider: guard.name(),
                        owner: self.modules[owner[&dependency.type_id]].name,
                    });
                }
            }
        }
        let mut seen = Vec::new();
        for record in records {
            let controller = (record.controller_type)();
            let Some(&index) = controllers.get(&controller) else {
                continue;
            };
            if seen.contains(&controller) {
                continue;
            }
            seen.push(controller);
            let module = &self.modules[index];
            for dependency in (record.dependencies)() {
                if !visible(module, &dependency) {
                    problems.push(Error::Invisible {
                        module: module.name,
                        consumer: record.source.controller.to_owned(),
                        provider: dependency.type_name,
                        owner: self.modules[owner[&dependency.type_id]].name,
                    });
                }
            }
        }
        for module in &self.modules {
            for (_, name, dependencies) in &module.provides {
                for dependency in dependencies {
                    if !visible(module, dependency) {
                        problems.push(Error::Invisible {
                            module: module.name,
                            consumer: format!("the factory of `{name}`"),
                            provider: dependency.type_name,
                            owner: self.modules[owner[&dependency.type_id]].name,
                        });
                    }
                }
            }
        }
    }

    /// Whether a module `module` imports exports `type_id`.
    fn imported(&self, module: &ModuleInfo, type_id: TypeId) -> bool {
        module.imports.iter().any(|&import| {
            self.modules[import]
                .exports
                .iter()
                .any(|(id, _)| *id == type_id)
        })
    }
}
