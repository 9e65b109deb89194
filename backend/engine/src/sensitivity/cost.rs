//! What keeping each quantizer group float costs in speed, measured once per model, and the
//! timing-free order of those costs the search tries groups in.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::Result;
use crate::bench::{SYNTHETIC_INPUT_SEED, node_times, node_work};
use crate::calibrate::Calibration;
use crate::cleanup::prepare_for_quantization;
use crate::onnx::proto::ModelProto;
use crate::quantize::{GroupSelection, QuantConfig, model_group_members, quantize_model};
use crate::runtime::SessionConfig;

/// Profiled runs of each model: bs1 kernel times are stable to a few percent by then.
const PROFILED_RUNS: usize = 10;

/// What keeping each group float costs at batch 1 on ONNX Runtime's CPU provider. ONNX
/// Runtime's profiler times every node of the float model and of the full-INT8 model once;
/// each node's time goes to the group it belongs to, found by the names ONNX Runtime derives
/// for fused nodes from the original node or tensor names. The times estimate speed-ups;
/// decisions that order groups use the multiply-accumulates instead (see
/// [`GroupCosts::cheapest_first`]), which no load on the machine can change.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GroupCosts {
    /// Kernel time of the float model, milliseconds per image.
    pub float_ms: f64,
    /// Kernel time of the full-INT8 model, milliseconds per image.
    pub int8_ms: f64,
    /// Per group: its nodes' float time minus their INT8 time, milliseconds (what keeping
    /// it float costs; negative when its INT8 form is the slower one).
    pub by_group: BTreeMap<String, f64>,
    /// The share of the full-INT8 model's kernel time found in some group; the rest (e.g.
    /// quantizers no kernel absorbed) is counted alike in every candidate.
    pub attributed: f64,
    /// Per group: the multiply-accumulates of its nodes at batch 1, the work INT8 speeds up
    /// (0 for groups without a `Conv`, `MatMul` or `Gemm`).
    #[serde(default)]
    pub macs: BTreeMap<String, u64>,
    /// The seed of the pseudo-random input the models were profiled on.
    #[serde(default)]
    pub input_seed: u64,
}

impl GroupCosts {
    /// Profiles the float model (after cleanup) and its full-INT8 model for `config`.
    pub fn measure(
        model: &ModelProto,
        ranges: &Calibration,
        config: impl Into<QuantConfig>,
    ) -> Result<Self> {
        let config = config.into();
        let members = model_group_members(model, config)?;
        let (float, _) = prepare_for_quantization(model)?;
        let (int8, _) = quantize_model(model, GroupSelection::All, ranges, config)?;
        let session = SessionConfig::default();
        let mut macs: BTreeMap<String, u64> = members.values().map(|g| (g.clone(), 0)).collect();
        for (node, work) in node_work(&float)? {
            if let Some(group) = members.get(&node) {
                *macs.entry(group.clone()).or_default() += work;
            }
        }
        let float = attribute(&node_times(&float, &session, PROFILED_RUNS)?, &members);
        let int8 = attribute(&node_times(&int8, &session, PROFILED_RUNS)?, &members);
        let mut by_group: BTreeMap<String, f64> =
            members.values().map(|g| (g.clone(), 0.0)).collect();
        for (group, ms) in &float.by_group {
            *by_group.entry(group.clone()).or_default() += ms;
        }
        for (group, ms) in &int8.by_group {
            *by_group.entry(group.clone()).or_default() -= ms;
        }
        Ok(Self {
            float_ms: float.total_ms,
            int8_ms: int8.total_ms,
            attributed: if int8.total_ms > 0.0 {
                int8.attributed_ms / int8.total_ms
            } else {
                0.0
            },
            by_group,
            macs,
            input_seed: SYNTHETIC_INPUT_SEED,
        })
    }

    /// Orders `groups` cheapest to keep float first by their multiply-accumulates, a figure
    /// of the model alone: groups with equal work (e.g. none) keep their order in `groups`,
    /// so the same groups always come out in the same order, however loaded the machine
    /// that measured the times was.
    pub fn cheapest_first(&self, groups: &mut [&String]) {
        groups.sort_by_key(|g| self.macs.get(*g).copied().unwrap_or(0));
    }

    /// What keeping `group` float costs, milliseconds per image (0 for a group not seen).
    pub fn cost(&self, group: &str) -> f64 {
        self.by_group.get(group).copied().unwrap_or(0.0)
    }

    /// The estimated bs1 speed-up over the float model of the model with `float_groups` float
    /// and every other group INT8.
    pub fn estimated_speedup<'a>(&self, float_groups: impl IntoIterator<Item = &'a String>) -> f64 {
        let time = self.int8_ms + float_groups.into_iter().map(|g| self.cost(g)).sum::<f64>();
        if time > 0.0 {
            self.float_ms / time
        } else {
            1.0
        }
    }
}

/// One model's kernel times gathered by group.
struct Attributed {
    total_ms: f64,
    attributed_ms: f64,
    by_group: BTreeMap<String, f64>,
}

fn attribute(times: &BTreeMap<String, f64>, members: &BTreeMap<String, String>) -> Attributed {
    let mut attributed = Attributed {
        total_ms: 0.0,
        attributed_ms: 0.0,
        by_group: BTreeMap::new(),
    };
    for (node, &ms) in times {
        attributed.total_ms += ms;
        if let Some(group) = group_of(node, members) {
            attributed.attributed_ms += ms;
            *attributed.by_group.entry(group.clone()).or_default() += ms;
        }
    }
    attributed
}

/// The group of a node of ONNX Runtime's optimized graph: its own name, or the name it was
/// derived from (`<node>_token_<n>` for fused nodes, `<tensor>_nchwc` for blocked layouts).
fn group_of<'a>(node: &str, members: &'a BTreeMap<String, String>) -> Option<&'a String> {
    let mut name = node;
    loop {
        if let Some(group) = members.get(name) {
            return Some(group);
        }
        name = derived_from(name)?;
    }
}

fn derived_from(name: &str) -> Option<&str> {
    if let Some(base) = name.strip_suffix("_nchwc") {
        return Some(base);
    }
    let (base, token) = name.rsplit_once("_token_")?;
    token.parse::<u64>().ok().map(|_| base)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fused_and_blocked_nodes_are_traced_to_the_node_or_tensor_they_came_from() {
        let members: BTreeMap<String, String> = [
            ("Conv_3", "conv3"),
            ("act_out:0", "conv3"),
            ("Add_9", "add9"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        assert_eq!(group_of("Conv_3_token_17", &members).unwrap(), "conv3");
        assert_eq!(group_of("act_out:0_nchwc", &members).unwrap(), "conv3");
        assert_eq!(group_of("Add_9_token_2_token_5", &members).unwrap(), "add9");
        assert_eq!(group_of("Reorder_token_4", &members), None);
        assert_eq!(group_of("Conv_3_token_x", &members), None);
    }

    #[test]
    fn the_estimate_adds_each_float_groups_cost_to_the_int8_time() {
        let costs = GroupCosts {
            float_ms: 10.0,
            int8_ms: 4.0,
            by_group: [("a".to_owned(), 1.0), ("b".to_owned(), 3.0)].into(),
            attributed: 1.0,
            macs: BTreeMap::new(),
            input_seed: 0,
        };
        assert_eq!(costs.estimated_speedup(&[]), 2.5);
        assert_eq!(
            costs.estimated_speedup(&["a".to_owned(), "b".to_owned()]),
            1.25
        );
        assert_eq!(costs.cost("c"), 0.0);
    }

    #[test]
    fn groups_are_ordered_by_their_work_and_equal_work_keeps_the_given_order() {
        let names: Vec<String> = ["big", "none_a", "small", "none_b", "unseen"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let costs = GroupCosts {
            float_ms: 1.0,
            int8_ms: 1.0,
            by_group: BTreeMap::new(),
            attributed: 1.0,
            macs: [("big", 900), ("none_a", 0), ("small", 10), ("none_b", 0)]
                .into_iter()
                .map(|(g, m)| (g.to_owned(), m))
                .collect(),
            input_seed: 0,
        };
        let mut order: Vec<&String> = names.iter().collect();
        costs.cheapest_first(&mut order);
        assert_eq!(order, ["none_a", "none_b", "unseen", "small", "big"]);
    }
}
