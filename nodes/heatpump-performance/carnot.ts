// Practical efficiency against the ideal (Carnot) COP, as heatpumpmonitor.org defines it: the
// condensing side 2 K above the flow, the evaporating side 6 K below the outdoor air.

const ZERO_CELSIUS_K = 273.15;
const CONDENSER_OFFSET_K = 2;
const EVAPORATOR_OFFSET_K = 6;

/** Ideal COP = T_hot / (T_hot − T_cold) in kelvin; undefined where the lift is not positive. */
export function idealCop(flowC: number, outdoorC: number): number | undefined {
  const hot = flowC + CONDENSER_OFFSET_K + ZERO_CELSIUS_K;
  const cold = outdoorC - EVAPORATOR_OFFSET_K + ZERO_CELSIUS_K;
  return hot > cold ? hot / (hot - cold) : undefined;
}

/** Practical efficiency: COP as % of the ideal COP; undefined without an ideal COP. */
export function carnotPercent(cop: number, flowC: number, outdoorC: number): number | undefined {
  const ideal = idealCop(flowC, outdoorC);
  return ideal === undefined ? undefined : (cop / ideal) * 100;
}
