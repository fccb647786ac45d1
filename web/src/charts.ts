// ECharts, only the parts the console uses (keeps the command-centre bundle small).
import * as echarts from 'echarts/core'
import { LineChart, PieChart } from 'echarts/charts'
import { GridComponent, TooltipComponent } from 'echarts/components'
import { CanvasRenderer } from 'echarts/renderers'

// Legends are HTML (components/screen/ChartLegend.vue): no LegendComponent.
echarts.use([LineChart, PieChart, GridComponent, TooltipComponent, CanvasRenderer])
export { echarts }
